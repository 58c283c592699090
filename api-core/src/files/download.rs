//! Whole files from NapCat's stream downloads (`download_file_stream` and its image and
//! voice kin): chunks in order and checked, never more bytes than announced, progress, and
//! saving that never leaves a partial file behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use tokio::io::AsyncWriteExt;

use crate::client::Client;
use crate::error::Error;
use crate::files::stream::{ActionStream, StreamAction};
use crate::types::{DownloadDone, DownloadPacket, FileInfo};

/// The most bytes a download takes when NapCat gives no size, by default (4 GiB, the largest
/// file QQ sends); see [`FileDownload::max_bytes`].
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 4 << 30;

/// How far a transfer got: bytes so far, and the total when it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes transferred so far.
    pub bytes: u64,
    /// The file's size, when the server gave one.
    pub total: Option<u64>,
}

/// A file [`FileDownload::save`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Where it is.
    pub path: PathBuf,
    /// How many bytes it holds.
    pub bytes: u64,
}

/// One file arriving from a stream download, read chunk by chunk in order.
///
/// Every chunk is checked (its index follows the last one, its length is the size it states,
/// and the bytes so far stay within the size NapCat announced, or within
/// [`max_bytes`](Self::max_bytes) when it announced none), and so is the end (the chunk and byte
/// counts NapCat reports match what arrived), so a download that breaks or goes wrong mid-way
/// is an `Err`, never a short file, and one whose chunks never end stops at its size.
///
/// ```no_run
/// # async fn run(api: api_core::Client) -> Result<(), api_core::Error> {
/// let download = api.download("Rust 学习资料.txt").await?;
/// println!("{} ({:?} bytes)", download.info().file_name, download.progress().total);
/// let saved = download
///     .save_with("资料.txt", |p| println!("{} / {:?}", p.bytes, p.total))
///     .await?;
/// # Ok(()) }
/// ```
pub struct FileDownload<A>
where
    A: StreamAction<Packet = DownloadPacket, Output = DownloadDone>,
{
    stream: ActionStream<A>,
    info: FileInfo,
    bytes: u64,
    next_index: u64,
    max_bytes: u64,
    done: Option<DownloadDone>,
}

impl<A> std::fmt::Debug for FileDownload<A>
where
    A: StreamAction<Packet = DownloadPacket, Output = DownloadDone>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDownload")
            .field("action", &A::WIRE_NAME)
            .field("file_name", &self.info.file_name)
            .field("progress", &self.progress())
            .finish()
    }
}

impl Client {
    /// Starts downloading a file QQ knows (a received file's `file_id`, or a name QQ's file
    /// assistant finds) with `download_file_stream` and NapCat's default chunk size. For the
    /// chunk size, images or voice, wrap the generated call's stream in
    /// [`FileDownload::new`].
    pub async fn download(
        &self,
        file: impl Into<String>,
    ) -> Result<FileDownload<crate::requests::DownloadFileStreamRequest>, Error> {
        FileDownload::new(self.download_file_stream(file).await?).await
    }
}

impl<A> FileDownload<A>
where
    A: StreamAction<Packet = DownloadPacket, Output = DownloadDone>,
{
    /// Reads the stream up to its file information, which comes first.
    pub async fn new(mut stream: ActionStream<A>) -> Result<Self, Error> {
        loop {
            match stream.packet().await? {
                Some(DownloadPacket::Info(info)) => {
                    return Ok(FileDownload {
                        stream,
                        info,
                        bytes: 0,
                        next_index: 0,
                        max_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
                        done: None,
                    });
                }
                Some(DownloadPacket::Chunk(c)) => {
                    return Err(bad::<A>(format!(
                        "chunk {} arrived before the file information",
                        c.index
                    )));
                }
                Some(other) => skip::<A>(&other),
                None => {
                    return Err(bad::<A>(
                        "the download ended before the file information".into(),
                    ));
                }
            }
        }
    }

    /// The most bytes this download takes when NapCat announced no size (default
    /// [`DEFAULT_MAX_DOWNLOAD_BYTES`]); with a size, the size is the limit, and this one too
    /// when it is lower. A voice converted to another format (`out_format`) has no size of its
    /// own (NapCat announces the original's), so this is its limit. A chunk past the limit is
    /// an `Err` before any of its bytes are handed over or written.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// The most bytes that may arrive, and what sets it (for the error).
    fn limit(&self) -> (u64, String) {
        let announced = self.info.file_size;
        if announced > 0 && self.info.out_format.is_none() && announced <= self.max_bytes {
            (announced, format!("the {announced} bytes NapCat announced"))
        } else {
            let max = self.max_bytes;
            (
                max,
                format!("the limit of {max} bytes (FileDownload::max_bytes)"),
            )
        }
    }

    /// The file's name and size as NapCat gave them (and an image's size, or a voice's
    /// format).
    pub fn info(&self) -> &FileInfo {
        &self.info
    }

    /// Bytes received so far, and the size NapCat gave (`None` when it gave 0).
    pub fn progress(&self) -> Progress {
        Progress {
            bytes: self.bytes,
            total: (self.info.file_size > 0).then_some(self.info.file_size),
        }
    }

    /// The next chunk's bytes, in order; `Ok(None)` once the whole file arrived and its
    /// counts were checked.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if self.done.is_some() {
            return Ok(None);
        }
        loop {
            match self.stream.packet().await? {
                Some(DownloadPacket::Chunk(c)) => {
                    if c.index != self.next_index {
                        return Err(bad::<A>(format!(
                            "chunk {} arrived where chunk {} was due",
                            c.index, self.next_index
                        )));
                    }
                    if c.data.len() as u64 != c.size {
                        return Err(bad::<A>(format!(
                            "chunk {} holds {} bytes but states {}",
                            c.index,
                            c.data.len(),
                            c.size
                        )));
                    }
                    let (limit, set_by) = self.limit();
                    if self.bytes.saturating_add(c.size) > limit {
                        return Err(bad::<A>(format!(
                            "chunk {} brings the file to {} bytes, past {set_by}",
                            c.index,
                            self.bytes.saturating_add(c.size)
                        )));
                    }
                    self.next_index += 1;
                    self.bytes += c.size;
                    return Ok(Some(c.data.into_bytes()));
                }
                Some(DownloadPacket::Info(_)) => {
                    return Err(bad::<A>("a second file information packet".into()));
                }
                Some(other) => skip::<A>(&other),
                None => {
                    let done = self
                        .stream
                        .take_result()
                        .ok_or_else(|| bad::<A>("the download ended without its result".into()))?;
                    if (done.total_chunks, done.total_bytes) != (self.next_index, self.bytes) {
                        return Err(bad::<A>(format!(
                            "NapCat reports {} chunks and {} bytes, but {} chunks and {} bytes arrived",
                            done.total_chunks, done.total_bytes, self.next_index, self.bytes
                        )));
                    }
                    self.done = Some(done);
                    return Ok(None);
                }
            }
        }
    }

    /// The chunks as a [`Stream`](futures_util::Stream) of bytes, in order; it ends after the
    /// last chunk once the counts were checked, or with the error that broke it.
    pub fn into_chunks(self) -> impl futures_util::Stream<Item = Result<Bytes, Error>> {
        futures_util::stream::unfold(Some(self), |download| async move {
            let mut download = download?;
            match download.chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(download))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
    }

    /// The whole file in memory.
    pub async fn to_vec(mut self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(self.info.file_size.min(64 << 20) as usize);
        while let Some(chunk) = self.chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Writes the file to `path`. It is written beside it under a `.part` name of its own
    /// first and renamed when complete, so `path` only ever holds a whole file; on any error,
    /// and when the returned future is dropped before it finishes, the partial file is removed.
    pub async fn save(self, path: impl AsRef<Path>) -> Result<Saved, Error> {
        self.save_with(path, |_| {}).await
    }

    /// Like [`save`](Self::save), calling `on_progress` after each chunk.
    pub async fn save_with(
        mut self,
        path: impl AsRef<Path>,
        mut on_progress: impl FnMut(Progress),
    ) -> Result<Saved, Error> {
        let path = path.as_ref().to_owned();
        // Removed when dropped: on an error below, or when this future is dropped mid-way.
        let mut part = PartFile {
            path: part_path(&path),
            kept: false,
            dropped: Arc::new(AtomicBool::new(false)),
        };
        let mut file = part
            .create()
            .await
            .map_err(|e| io_error::<A>(&part.path, e))?;
        while let Some(chunk) = self.chunk().await? {
            file.write_all(&chunk)
                .await
                .map_err(|e| io_error::<A>(&part.path, e))?;
            on_progress(self.progress());
        }
        file.sync_all()
            .await
            .map_err(|e| io_error::<A>(&part.path, e))?;
        drop(file);
        tokio::fs::rename(&part.path, &path)
            .await
            .map_err(|e| io_error::<A>(&path, e))?;
        part.kept = true;
        Ok(Saved {
            path,
            bytes: self.bytes,
        })
    }
}

/// The `.part` file of a save under way, removed when dropped unless it became the file.
struct PartFile {
    path: PathBuf,
    /// Renamed to the target: nothing is left to remove.
    kept: bool,
    /// Set when the save is dropped: a creation still under way removes what it made.
    dropped: Arc<AtomicBool>,
}

impl PartFile {
    /// Creates the file, on a blocking thread as `tokio::fs` does. That thread goes on if the
    /// save is dropped meanwhile, after the drop's unlink found nothing to remove: so it looks
    /// at `dropped` once the file exists and removes it itself.
    async fn create(&self) -> std::io::Result<tokio::fs::File> {
        let (path, dropped) = (self.path.clone(), self.dropped.clone());
        let created = tokio::task::spawn_blocking(move || create_unless_dropped(&path, &dropped))
            .await
            .map_err(std::io::Error::other)??;
        Ok(tokio::fs::File::from_std(created))
    }
}

/// Creates `path`; removes it again when `dropped` is set by then (see [`PartFile::create`]).
fn create_unless_dropped(path: &Path, dropped: &AtomicBool) -> std::io::Result<std::fs::File> {
    let file = std::fs::File::create(path)?;
    if dropped.load(Ordering::SeqCst) {
        let _ = std::fs::remove_file(path);
    }
    Ok(file)
}

impl Drop for PartFile {
    /// One unlink, done here (a drop cannot wait), so the file is gone once the save is. The
    /// flag goes first: a creation that ends after it removes its file itself.
    fn drop(&mut self) {
        if !self.kept {
            self.dropped.store(true, Ordering::SeqCst);
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `name.<n>.part` beside `path`, `n` unique to this save in this process, so saves to the
/// same path at once each write their own file (and the last to finish is the one kept).
fn part_path(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{}-{n}.part", std::process::id()));
    path.with_file_name(name)
}

/// A packet a download does not know (a later NapCat's), skipped.
fn skip<A: StreamAction>(packet: &DownloadPacket) {
    tracing::warn!(
        action = A::WIRE_NAME,
        ?packet,
        "skipping a download packet of an unknown kind"
    );
}

fn bad<A: StreamAction>(reason: String) -> Error {
    Error::BadReply {
        action: A::WIRE_NAME.to_owned(),
        http_status: None,
        reason,
        body: Default::default(),
    }
}

fn io_error<A: StreamAction>(path: &Path, e: std::io::Error) -> Error {
    Error::Transport {
        action: A::WIRE_NAME.to_owned(),
        source: format!("cannot write {}: {e}", path.display()).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A save dropped while its `.part` file was being created leaves no file behind: the
    /// creation, ending after the drop, removes what it made.
    #[test]
    fn a_part_file_created_after_the_drop_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("late.part");
        let dropped = AtomicBool::new(true);
        create_unless_dropped(&path, &dropped).unwrap();
        assert!(!path.exists(), "the late .part file was left behind");
        let kept = AtomicBool::new(false);
        create_unless_dropped(&path, &kept).unwrap();
        assert!(path.exists(), "a save still under way keeps its file");
    }
}
