//! Stream actions: one call answered with packets and then a result. Follows NapCat's
//! action/stream/*.ts (v4.18.19).

use bytes::Bytes;
use serde_json::{Value, json};

use crate::files::{FileKind, Upload, base64, from_base64, sha256_hex};
use crate::handlers::handler::{Handler, StreamHandler};
use crate::params::Params;
use crate::state::{Failure, Outcome, Packets, State};

pub(super) const HANDLERS: &[(&str, StreamHandler)] = &[
    ("test_download_stream", test_download_stream),
    ("download_file_stream", download_file_stream),
    ("download_file_image_stream", download_file_image_stream),
    ("download_file_record_stream", download_file_record_stream),
];

/// Stream actions NapCat answers with one envelope per call.
pub(super) const ONE_REPLY: &[(&str, Handler)] = &[
    ("upload_file_stream", upload_file_stream),
    ("clean_stream_temp_file", clean_stream_temp_file),
];

/// NapCat's test stream (TestStreamDownload.ts): ten `data_chunk` packets, then the result,
/// or with `error` a failure after the packets. NapCat waits 100 ms between packets; the
/// simulator does not.
fn test_download_stream(_state: &mut State, p: &Params) -> Result<Packets, Failure> {
    let error = p.opt_bool("error")?.unwrap_or(false);
    let packets = (1..=10).map(
        |i| json!({"type": "stream", "data": format!("Index-> {i}"), "data_type": "data_chunk"}),
    );
    let end = if error {
        Err(Failure::Handler("This is a test error".into()))
    } else {
        Ok(
            json!({"type": "response", "data_type": "data_complete", "data": "Stream transmission complete"}),
        )
    };
    Ok(Packets {
        packets: Box::new(packets),
        end,
    })
}

/// The formats DownloadFileRecordStream.ts converts to.
pub(super) const OUT_FORMATS: &[&str] = &["mp3", "amr", "wma", "m4a", "spx", "ogg", "wav", "flac"];

/// What a download adds to its `file_info` packet.
enum Extra {
    None,
    /// The image's size (DownloadFileImageStream.ts).
    Size,
    /// The requested format (DownloadFileRecordStream.ts).
    Format(Option<String>),
}

fn download_file_stream(state: &mut State, p: &Params) -> Result<Packets, Failure> {
    download(state, p, Extra::None)
}

fn download_file_image_stream(state: &mut State, p: &Params) -> Result<Packets, Failure> {
    download(state, p, Extra::Size)
}

/// The simulator does not transcode: a converted voice is sent with its original bytes.
fn download_file_record_stream(state: &mut State, p: &Params) -> Result<Packets, Failure> {
    let format = p.opt_str("out_format")?.filter(|f| !f.is_empty());
    if let Some(f) = &format
        && !OUT_FORMATS.contains(&f.as_str())
    {
        return Err(failed("转换失败 out_format 字段可能格式不正确"));
    }
    download(state, p, Extra::Format(format))
}

/// Every download throws `Download failed: <why>` (DownloadFileStream.ts and kin).
fn failed(why: &str) -> Failure {
    Failure::Handler(format!("Download failed: {why}"))
}

/// BaseDownloadStream.ts: `file_info`, then one `file_chunk` per `chunk_size` bytes (64 KiB
/// when 0 or absent: `payload.chunk_size || 64 * 1024`), then `file_complete`.
fn download(state: &mut State, p: &Params, extra: Extra) -> Result<Packets, Failure> {
    // `payload.file ||= payload.file_id || ''`
    let key = p.str_or("file", "file_id")?;
    let chunk_size = p
        .opt_int("chunk_size")?
        .filter(|n| *n > 0)
        .unwrap_or(64 * 1024) as usize;
    let file = state
        .files
        .find(&key)
        .ok_or_else(|| failed("file not found"))?;
    let mut info = json!({
        "type": "stream",
        "data_type": "file_info",
        "file_name": file.name,
        "file_size": file.data.len(),
        "chunk_size": chunk_size,
    });
    match (&extra, &file.kind) {
        (Extra::Size, FileKind::Image { width, height }) => {
            info["width"] = json!(width);
            info["height"] = json!(height);
        }
        (Extra::Format(Some(format)), _) => info["out_format"] = json!(format),
        _ => {}
    }
    let data = file.data.clone();
    let total = data.len();
    let chunks = (0..total.div_ceil(chunk_size)).map(move |index| {
        let start = index * chunk_size;
        let end = (start + chunk_size).min(total);
        chunk_packet(index, data.slice(start..end), end, total)
    });
    let count = total.div_ceil(chunk_size);
    let done = json!({
        "type": "response",
        "data_type": "file_complete",
        "total_chunks": count,
        "total_bytes": total,
        "message": "Download completed",
    });
    Ok(Packets {
        packets: Box::new(std::iter::once(info).chain(chunks)),
        end: Ok(done),
    })
}

/// One `file_chunk` packet, as `streamFileChunks` writes it.
fn chunk_packet(index: usize, bytes: Bytes, read: usize, total: usize) -> Value {
    let data = base64(&bytes);
    let base64_size = data.len();
    json!({
        "type": "stream",
        "data_type": "file_chunk",
        "index": index,
        "data": data,
        "size": bytes.len(),
        "progress": ((read as f64 / total as f64) * 100.0).round() as u64,
        "base64_size": base64_size,
    })
}

/// CleanStreamTempFile.ts: every file in the temp directory goes; nothing is returned.
fn clean_stream_temp_file(state: &mut State, _p: &Params) -> Outcome {
    state.files.clean_temp();
    Ok(None)
}

/// UploadFileStream.ts's limits: a file of a known size up to this is kept in memory.
const MEMORY_THRESHOLD: u64 = 10 * 1024 * 1024;
/// UploadFileStream.ts: in-memory uploads together may hold at most this.
const MEMORY_LIMIT: u64 = 100 * 1024 * 1024;

/// UploadFileStream.ts: one chunk per call, stored by index; completing merges them, checks
/// the SHA-256 if one was given and writes the file to the temp directory. NapCat's 10-minute
/// expiry of an idle upload and its deletion of the merged file after `file_retention` are not
/// simulated.
fn upload_file_stream(state: &mut State, p: &Params) -> Outcome {
    let id = p.str("stream_id")?;
    let uploads = &mut state.files.uploads;
    if p.opt_bool("reset")? == Some(true) {
        uploads.remove(&id);
        return Err(Failure::Handler("Stream reset completed".into()));
    }
    if p.opt_bool("verify_only")? == Some(true) {
        let upload = uploads
            .get(&id)
            .ok_or_else(|| Failure::Handler("Stream not found".into()))?;
        return Ok(Some(upload_status(&id, upload, "stream", "file_created")));
    }
    if !uploads.contains_key(&id) {
        let total = p
            .opt_int("total_chunks")?
            .filter(|n| *n != 0)
            .ok_or_else(|| Failure::Handler("total_chunks required for new stream".into()))?;
        let file_size = p.opt_int("file_size")?.map(|n| n.max(0) as u64);
        let in_memory = file_size.is_some_and(|n| n <= MEMORY_THRESHOLD);
        let held: u64 = uploads
            .values()
            .filter(|u| u.in_memory)
            .filter_map(|u| u.file_size)
            .sum();
        if in_memory && held + file_size.unwrap_or(0) > MEMORY_LIMIT {
            return Err(Failure::Handler("Memory limit exceeded".into()));
        }
        let filename = p
            .opt_str("filename")?
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| format!("upload_{id}"));
        uploads.insert(
            id.clone(),
            Upload {
                filename,
                total_chunks: total.max(0) as u64,
                chunks: Default::default(),
                file_size,
                expected_sha256: p.opt_str("expected_sha256")?.filter(|s| !s.is_empty()),
                in_memory,
            },
        );
    }
    let upload = uploads.get_mut(&id).expect("created above");
    let chunk_data = p.opt_str("chunk_data")?.filter(|d| !d.is_empty());
    if let (Some(data), Some(index)) = (chunk_data, p.opt_int("chunk_index")?) {
        if index < 0 || index as u64 >= upload.total_chunks {
            return Err(Failure::Handler(format!("Invalid chunk index: {index}")));
        }
        if upload.chunks.contains_key(&(index as u64)) {
            return Ok(Some(upload_status(&id, upload, "stream", "file_created")));
        }
        upload.chunks.insert(index as u64, from_base64(&data));
        return Ok(Some(upload_status(&id, upload, "stream", "chunk_received")));
    }
    if p.opt_bool("is_complete")? == Some(true) || upload.chunks.len() as u64 == upload.total_chunks
    {
        return complete_upload(state, &id).map(Some);
    }
    Ok(Some(upload_status(&id, upload, "stream", "file_created")))
}

/// Merges an upload's chunks in order, checks the hash and writes the file.
fn complete_upload(state: &mut State, id: &str) -> Result<Value, Failure> {
    let upload = &state.files.uploads[id];
    let mut merged = Vec::new();
    for index in 0..upload.total_chunks {
        let chunk = upload.chunks.get(&index).ok_or_else(|| {
            Failure::Handler(match upload.in_memory {
                true => format!("Missing memory chunk {index}"),
                false => format!("Missing chunk file {index}"),
            })
        })?;
        merged.extend_from_slice(chunk);
    }
    let sha256 = match &upload.expected_sha256 {
        Some(expected) => {
            let actual = sha256_hex(&merged);
            if &actual != expected {
                return Err(Failure::Handler(format!(
                    "SHA256 mismatch. Expected: {expected}, Got: {actual}"
                )));
            }
            Some(actual)
        }
        None => None,
    };
    let upload = state.files.uploads.remove(id).expect("found above");
    let size = merged.len();
    let path = state.files.put_temp(&upload.filename, merged.into());
    let mut status = upload_status(id, &upload, "response", "file_complete");
    status["file_path"] = json!(path);
    status["file_size"] = json!(size);
    if let Some(sha) = sha256 {
        status["sha256"] = json!(sha);
    }
    Ok(status)
}

/// A reply of upload_file_stream, keys in NapCat's order.
fn upload_status(id: &str, upload: &Upload, kind: &str, status: &str) -> Value {
    json!({
        "type": kind,
        "stream_id": id,
        "status": status,
        "received_chunks": upload.chunks.len(),
        "total_chunks": upload.total_chunks,
    })
}
