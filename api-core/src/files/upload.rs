//! Whole files to the machine NapCat runs on, with `upload_file_stream`: chunks sent a few at
//! a time, each retried after a dropped connection, the file's SHA-256 checked by NapCat and
//! again here.

use std::future::{Future, IntoFuture};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::action::Action;
use crate::client::{ApiFuture, Client};
use crate::error::Error;
use crate::files::download::Progress;
use crate::requests::UploadFileStreamRequest;
use crate::types::{UploadState, UploadStatus};

/// The default chunk size of [`Client::upload`]: 256 KiB.
pub const DEFAULT_UPLOAD_CHUNK: usize = 256 * 1024;

/// How many chunks [`Client::upload`] keeps in flight by default.
pub const DEFAULT_UPLOAD_IN_FLIGHT: usize = 4;

/// The stream-upload action, by its wire name as the spec gives it.
const ACTION: &str = <UploadFileStreamRequest as Action>::WIRE_NAME;

/// What [`Client::upload`] sends: bytes in memory or a local file (read chunk by chunk, never
/// whole).
#[derive(Debug, Clone)]
pub enum UploadSource {
    /// Bytes in memory.
    Bytes(Bytes),
    /// A local file.
    Path(PathBuf),
}

impl From<Vec<u8>> for UploadSource {
    fn from(bytes: Vec<u8>) -> Self {
        UploadSource::Bytes(bytes.into())
    }
}

impl From<Bytes> for UploadSource {
    fn from(bytes: Bytes) -> Self {
        UploadSource::Bytes(bytes)
    }
}

impl From<PathBuf> for UploadSource {
    fn from(path: PathBuf) -> Self {
        UploadSource::Path(path)
    }
}

impl From<&std::path::Path> for UploadSource {
    fn from(path: &std::path::Path) -> Self {
        UploadSource::Path(path.to_owned())
    }
}

/// A file [`Client::upload`] put on NapCat's machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// Its path there: what file parameters take (`Uploadable::server(path)`).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256 (lowercase hex), as computed here and confirmed by NapCat.
    pub sha256: String,
    /// The upload's stream id.
    pub stream_id: String,
}

type OnProgress = Box<dyn FnMut(Progress) + Send>;

/// An upload waiting to be awaited (from [`Client::upload`]); settings are chained.
#[must_use = "an upload starts only when it is awaited"]
pub struct FileUpload {
    client: Client,
    source: UploadSource,
    name: Option<String>,
    chunk_size: usize,
    in_flight: usize,
    retries: u32,
    retention: Option<Duration>,
    timeout: Option<Duration>,
    on_progress: Option<OnProgress>,
}

impl std::fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileUpload")
            .field("source", &self.source)
            .field("name", &self.name)
            .field("chunk_size", &self.chunk_size)
            .field("in_flight", &self.in_flight)
            .finish()
    }
}

impl Client {
    /// Uploads a file to the machine NapCat runs on with `upload_file_stream`, in chunks
    /// (default [`DEFAULT_UPLOAD_CHUNK`], [`DEFAULT_UPLOAD_IN_FLIGHT`] at a time), and returns
    /// its path there, which file parameters take.
    ///
    /// The file's SHA-256 is computed first (a local file is read twice, never held whole)
    /// and sent along, so NapCat checks the merged file against it. A chunk whose call fails
    /// for the connection (closed, broken, timed out) is sent again, up to
    /// [`retries`](FileUpload::retries) times: NapCat keeps what it received and ignores a
    /// chunk it has, so an upload resumes across a reconnect. A chunk NapCat reports missing
    /// when the file is merged is sent again too. An empty file cannot go this way (NapCat
    /// merges only chunks that carried data) and is refused before anything is sent.
    ///
    /// ```no_run
    /// # async fn run(api: api_core::Client) -> Result<(), api_core::Error> {
    /// let up = api.upload(std::path::Path::new("video.mp4")).await?;
    /// println!("{} ({} bytes, SHA-256 {})", up.path, up.size, up.sha256);
    /// # Ok(()) }
    /// ```
    pub fn upload(&self, source: impl Into<UploadSource>) -> FileUpload {
        FileUpload {
            client: self.clone(),
            source: source.into(),
            name: None,
            chunk_size: DEFAULT_UPLOAD_CHUNK,
            in_flight: DEFAULT_UPLOAD_IN_FLIGHT,
            retries: 3,
            retention: None,
            timeout: None,
            on_progress: None,
        }
    }
}

impl FileUpload {
    /// The file's name on NapCat's machine (default: the local file's name, else NapCat's
    /// `upload_<uuid>`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Bytes per chunk (at least 1). Each chunk travels as base64 in one frame, a third larger.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes.max(1);
        self
    }

    /// How many chunk calls may wait for their reply at once (at least 1).
    pub fn in_flight(mut self, calls: usize) -> Self {
        self.in_flight = calls.max(1);
        self
    }

    /// How often a chunk is sent again after its call failed for the connection (default 3).
    pub fn retries(mut self, times: u32) -> Self {
        self.retries = times;
        self
    }

    /// How long NapCat keeps the merged file before deleting it (NapCat's default is 5
    /// minutes; `Duration::ZERO` keeps it). Sent in milliseconds.
    pub fn retention(mut self, keep: Duration) -> Self {
        self.retention = Some(keep);
        self
    }

    /// The timeout of each call (default: the client's).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Called after each chunk NapCat acknowledged, with the bytes acknowledged so far.
    pub fn on_progress(mut self, f: impl FnMut(Progress) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }
}

impl IntoFuture for FileUpload {
    type Output = Result<Uploaded, Error>;
    type IntoFuture = ApiFuture<Uploaded>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Where the chunks come from.
struct Chunks {
    source: UploadSource,
    file: Option<tokio::fs::File>,
    size: u64,
    chunk_size: usize,
}

impl Chunks {
    fn count(&self) -> u64 {
        self.size.div_ceil(self.chunk_size as u64)
    }

    /// Chunk `index`'s bytes.
    async fn read(&mut self, index: u64) -> Result<Bytes, Error> {
        let start = index * self.chunk_size as u64;
        let len = (self.size - start).min(self.chunk_size as u64) as usize;
        match &self.source {
            UploadSource::Bytes(b) => Ok(b.slice(start as usize..start as usize + len)),
            UploadSource::Path(path) => {
                let file = self.file.as_mut().expect("opened when measured");
                let mut buf = vec![0; len];
                file.seek(std::io::SeekFrom::Start(start))
                    .await
                    .map_err(|e| read_error(path, e))?;
                file.read_exact(&mut buf)
                    .await
                    .map_err(|e| read_error(path, e))?;
                Ok(buf.into())
            }
        }
    }
}

fn read_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::invalid_argument(
        ACTION,
        "file",
        format!("cannot read file {}: {e}", path.display()),
    )
}

/// The size and SHA-256 of the source; a local file is read through once for it.
async fn measure(source: &UploadSource) -> Result<(u64, String, Option<tokio::fs::File>), Error> {
    let mut hasher = sha2::Sha256::new();
    match source {
        UploadSource::Bytes(b) => {
            hasher.update(b);
            Ok((b.len() as u64, hex(&hasher.finalize()), None))
        }
        UploadSource::Path(path) => {
            let mut file = tokio::fs::File::open(path)
                .await
                .map_err(|e| read_error(path, e))?;
            let mut buf = vec![0; 1 << 20];
            let mut size = 0u64;
            loop {
                let n = file.read(&mut buf).await.map_err(|e| read_error(path, e))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            Ok((size, hex(&hasher.finalize()), Some(file)))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stream id no other upload of this process uses.
fn new_stream_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}-{:x}-{:x}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether a failed call may be sent again: the connection failed it, not NapCat.
fn retryable(e: &Error) -> bool {
    matches!(
        e,
        Error::Disconnected { .. } | Error::Transport { .. } | Error::Timeout { .. }
    )
}

/// The chunk NapCat reports missing when it merges (`Missing memory chunk 3`, `Missing chunk
/// file 3`, UploadFileStream.ts).
fn missing_chunk(e: &Error) -> Option<u64> {
    let Error::Api { message, .. } = e else {
        return None;
    };
    message
        .strip_prefix("Missing memory chunk ")
        .or_else(|| message.strip_prefix("Missing chunk file "))?
        .trim()
        .parse()
        .ok()
}

type ChunkCall =
    Pin<Box<dyn Future<Output = (u64, Bytes, u32, Result<UploadStatus, Error>)> + Send>>;

/// What sending needs (the progress callback stays out, so this can be shared across
/// awaits).
struct Sender {
    client: Client,
    timeout: Option<Duration>,
    retries: u32,
}

impl FileUpload {
    async fn run(self) -> Result<Uploaded, Error> {
        let FileUpload {
            client,
            source,
            name,
            chunk_size,
            in_flight,
            retries,
            retention,
            timeout,
            mut on_progress,
        } = self;
        let sender = Sender {
            client,
            timeout,
            retries,
        };
        let (size, sha256, file) = measure(&source).await?;
        if size == 0 {
            return Err(Error::invalid_argument(
                ACTION,
                "file",
                "the file is empty; NapCat's stream upload merges only chunks that carry data",
            ));
        }
        let name = name.or_else(|| match &source {
            UploadSource::Path(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()),
            UploadSource::Bytes(_) => None,
        });
        let mut chunks = Chunks {
            source,
            file,
            size,
            chunk_size,
        };
        let total = chunks.count();
        let stream_id = new_stream_id();
        // NapCat reads the stream's size, hash, name and retention only from the request that
        // creates it: every chunk carries them until one is acknowledged (chunks in flight may
        // arrive in any order), then only the stream id goes with each chunk and the merge.
        let stream = UploadFileStreamRequest::new(stream_id.clone());
        let creating = {
            let mut req = stream
                .clone()
                .total_chunks(total)
                .file_size(size)
                .expected_sha256(sha256.clone());
            if let Some(name) = name {
                req = req.filename(name);
            }
            if let Some(keep) = retention {
                req = req.file_retention(keep.as_millis() as u64);
            }
            req
        };
        let mut pending: FuturesUnordered<ChunkCall> = FuturesUnordered::new();
        let mut next = 0u64;
        let mut acknowledged = 0u64;
        loop {
            let base = if acknowledged == 0 {
                &creating
            } else {
                &stream
            };
            while pending.len() < in_flight && next < total {
                let data = chunks.read(next).await?;
                pending.push(sender.send_chunk(base, next, data, 0));
                next += 1;
            }
            let Some((index, data, tries, result)) = pending.next().await else {
                break;
            };
            match result {
                Ok(_) => {
                    acknowledged += data.len() as u64;
                    if let Some(f) = &mut on_progress {
                        f(Progress {
                            bytes: acknowledged,
                            total: Some(size),
                        });
                    }
                }
                Err(e) if retryable(&e) && tries < retries => {
                    tracing::debug!(index, error = %e, "sending a chunk again");
                    pending.push(sender.send_chunk(base, index, data, tries + 1));
                }
                Err(e) => return Err(e),
            }
        }
        let done = sender.complete(&stream, &mut chunks).await?;
        let confirmed = done.sha256.as_deref() == Some(sha256.as_str());
        match (done.status, done.file_path, done.file_size) {
            (UploadState::Complete, Some(path), Some(n)) if n == size && confirmed => {
                Ok(Uploaded {
                    path,
                    size,
                    sha256,
                    stream_id,
                })
            }
            (status, path, n) => Err(Error::BadReply {
                action: ACTION.into(),
                http_status: None,
                reason: format!(
                    "the upload did not complete as sent: status {status:?}, path {path:?}, {n:?} of {size} bytes, SHA-256 {:?} where {sha256} was sent",
                    done.sha256
                ),
                body: Default::default(),
            }),
        }
    }
}

impl Sender {
    /// Asks NapCat to merge the file; sends again any chunk it reports missing, and retries
    /// a completion the connection failed.
    async fn complete(
        &self,
        base: &UploadFileStreamRequest,
        chunks: &mut Chunks,
    ) -> Result<UploadStatus, Error> {
        let mut tries = 0;
        loop {
            let result = self
                .client
                .call_with_timeout(base.clone().is_complete(true), self.timeout)
                .await;
            let e = match result {
                Ok(done) => return Ok(done),
                Err(e) if tries >= self.retries => return Err(e),
                Err(e) => e,
            };
            tries += 1;
            if let Some(index) = missing_chunk(&e).filter(|i| *i < chunks.count()) {
                let data = chunks.read(index).await?;
                let (_, _, _, sent) = self.send_chunk(base, index, data, 0).await;
                sent?;
            } else if !retryable(&e) {
                return Err(e);
            }
        }
    }

    fn send_chunk(
        &self,
        base: &UploadFileStreamRequest,
        index: u64,
        data: Bytes,
        tries: u32,
    ) -> ChunkCall {
        let call = self.client.call_with_timeout(
            base.clone().chunk_index(index).chunk_data(data.clone()),
            self.timeout,
        );
        Box::pin(async move { (index, data, tries, call.await) })
    }
}
