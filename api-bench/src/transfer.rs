//! Moving a large file through the simulator over forward WebSocket, with the generated
//! client and with a raw tokio-tungstenite client sending the same chunks. Each run is its own
//! process (`bin/transfer.rs`), so its peak resident size is the client's alone; the
//! simulator runs in another (`bin/file_sim.rs`).

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::baseline::raw_ws::RawWs;

/// The file the simulator serves for downloads (`bin/file_sim.rs` adds it).
pub const SERVED_NAME: &str = "big.bin";

/// Upload chunk size, the same for both clients (the generated client's default).
pub const UPLOAD_CHUNK: usize = api_core::DEFAULT_UPLOAD_CHUNK;

/// Upload chunks in flight, the same for both clients (the generated client's default).
pub const IN_FLIGHT: usize = api_core::DEFAULT_UPLOAD_IN_FLIGHT;

/// The bytes of the benchmark file: `len` bytes of a fixed pattern.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// The process's peak resident size so far (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// The process's resident size now (`VmRSS`), in KiB.
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// A size in KiB from `/proc/self/status` (0 where there is none).
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// The generated client, connected to `url`.
async fn connect(url: &str) -> api_core::Client {
    api_core::Client::builder()
        .ws_url(url)
        .connect()
        .await
        .expect("connect")
}

/// Uploads `path` with [`api_core::Client::upload`]; returns the time taken.
pub async fn ours_upload(url: &str, path: &Path) -> Duration {
    let api = connect(url).await;
    let started = Instant::now();
    let up = api.upload(path).await.expect("upload");
    let took = started.elapsed();
    assert_eq!(up.size, std::fs::metadata(path).unwrap().len());
    took
}

/// Downloads the served file with [`api_core::Client::download`] into `out`.
pub async fn ours_download(url: &str, out: &Path) -> Duration {
    let api = connect(url).await;
    let started = Instant::now();
    api.download(SERVED_NAME)
        .await
        .expect("start the download")
        .save(out)
        .await
        .expect("download");
    started.elapsed()
}

#[derive(Deserialize)]
struct Status<'a> {
    retcode: i64,
    #[serde(borrow)]
    data: Option<&'a serde_json::value::RawValue>,
}

/// Uploads `path` as a careful person would by hand: the same chunks, the same number in
/// flight, the hash sent first, each reply checked.
pub async fn raw_upload(url: &str, path: &Path) -> Duration {
    let ws = RawWs::connect(url, true).await;
    let started = Instant::now();
    let mut file = tokio::fs::File::open(path).await.expect("open");
    let size = file.metadata().await.expect("size").len();
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        sha2::Digest::update(&mut hasher, &buf[..n]);
    }
    let sha: String = sha2::Digest::finalize(hasher)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut file = tokio::fs::File::open(path).await.expect("open");
    let total = size.div_ceil(UPLOAD_CHUNK as u64);
    let meta = format!(
        r#""stream_id":"raw-{}","total_chunks":{total},"file_size":{size},"expected_sha256":"{sha}","filename":"raw.bin""#,
        std::process::id()
    );
    let mut pending = FuturesUnordered::new();
    let mut chunk = vec![0; UPLOAD_CHUNK];
    for index in 0..total {
        let len = (size - index * UPLOAD_CHUNK as u64).min(UPLOAD_CHUNK as u64) as usize;
        file.read_exact(&mut chunk[..len]).await.expect("read");
        let params = format!(
            r#"{{{meta},"chunk_index":{index},"chunk_data":"{}"}}"#,
            STANDARD.encode(&chunk[..len])
        );
        let ws = ws.clone();
        pending.push(async move { ws.call("upload_file_stream", &params).await });
        if pending.len() == IN_FLIGHT {
            check(&pending.next().await.expect("a reply"));
        }
    }
    while let Some(reply) = pending.next().await {
        check(&reply);
    }
    let done = ws
        .call(
            "upload_file_stream",
            &format!(r#"{{{meta},"is_complete":true}}"#),
        )
        .await;
    check(&done);
    let took = started.elapsed();
    let text = std::str::from_utf8(&done).expect("UTF-8");
    assert!(text.contains(&sha), "the merge confirms the hash: {text}");
    took
}

fn check(reply: &[u8]) {
    let status: Status = serde_json::from_slice(reply).expect("an envelope");
    assert_eq!(status.retcode, 0, "{}", String::from_utf8_lossy(reply));
    assert!(status.data.is_some());
}

/// A download packet as a careful person decodes it: the chunk's text borrowed, then
/// base64-decoded.
#[derive(Deserialize)]
struct Packet<'a> {
    retcode: i64,
    #[serde(borrow)]
    data: PacketData<'a>,
}

#[derive(Deserialize)]
struct PacketData<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    data_type: &'a str,
    #[serde(default)]
    data: Option<&'a str>,
}

/// Downloads the served file by hand into `out`: one request, then frames until the
/// result, each chunk decoded and written.
pub async fn raw_download(url: &str, out: &Path) -> Duration {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let started = Instant::now();
    let request = format!(
        r#"{{"action":"download_file_stream","params":{{"file":"{SERVED_NAME}"}},"echo":1}}"#
    );
    ws.send(Message::Text(request.into())).await.expect("send");
    let mut file = tokio::fs::File::create(out).await.expect("create");
    let mut bytes = Vec::new();
    while let Some(frame) = ws.next().await {
        let Message::Text(text) = frame.expect("a frame") else {
            continue;
        };
        let packet: Packet = serde_json::from_str(text.as_str()).expect("a packet");
        assert_eq!(packet.retcode, 0);
        if packet.data.kind != "stream" {
            break;
        }
        if packet.data.data_type == "file_chunk" {
            bytes.clear();
            STANDARD
                .decode_vec(packet.data.data.expect("chunk data"), &mut bytes)
                .expect("base64");
            file.write_all(&bytes).await.expect("write");
        }
    }
    file.sync_all().await.expect("sync");
    started.elapsed()
}

/// One run of `bin/transfer` (at `exe`) as a child process: its seconds and peak resident
/// size in KiB.
pub fn run_child(exe: &Path, client: &str, direction: &str, url: &str, path: &Path) -> (f64, u64) {
    let out = std::process::Command::new(exe)
        .args([client, direction, url])
        .arg(path)
        .output()
        .expect("run the transfer binary");
    assert!(
        out.status.success(),
        "{client} {direction} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let secs = parts.next().and_then(|s| s.parse().ok()).expect("seconds");
    let kib = parts.next().and_then(|s| s.parse().ok()).expect("peak KiB");
    (secs, kib)
}

/// The simulator of `bin/file_sim` (at `exe`) serving a file of `size` bytes; it stops when
/// this is dropped.
pub struct SimProcess {
    child: std::process::Child,
    /// Its forward WebSocket URL.
    pub url: String,
}

impl SimProcess {
    /// Starts it and waits for its URL.
    pub fn start(exe: &Path, size: usize) -> SimProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(exe)
            .arg(size.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the simulator process");
        let mut url = String::new();
        std::io::BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut url)
            .expect("its URL");
        SimProcess {
            child,
            url: url.trim().to_owned(),
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
