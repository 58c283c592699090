//! Moving files through the simulator over every transport: stream downloads checked chunk by
//! chunk and saved whole or not at all, stream uploads checked by hash and resumed after a
//! dropped connection, and large file parameters sent by stream upload first.

use std::time::Duration;

use api_core::types::{AudioFormat, DownloadPacket, UploadState};
use api_core::{Client, Error, Progress, UploadStrategy, Uploadable};
use api_sim::{Fault, FileKind, Simulator};
use api_tests::{Via, assert_failure, over_every_transport, setup, setup_with};

const GROUP: api_core::GroupId = api_core::GroupId(100200);

/// `len` bytes that differ from chunk to chunk.
fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Scripts the `n`-th next call of `action` (from 1) to meet `fault`.
fn on_call(sim: &Simulator, action: &str, n: usize, fault: Fault) {
    for _ in 1..n {
        sim.script(action, Fault::Delay(Duration::ZERO));
    }
    sim.script(action, fault);
}

async fn downloads_arrive_whole_and_in_order(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let data = sample(200_000);
    let id = sim.add_file("big.bin", data.clone(), FileKind::File);
    // By file id, in uneven chunks: 3 of 65536 and one of 3392.
    let mut download = api.download(id.as_str()).await.unwrap();
    assert_eq!(download.info().file_name, "big.bin");
    assert_eq!(download.info().chunk_size, 65536);
    assert_eq!(
        download.progress(),
        Progress {
            bytes: 0,
            total: Some(200_000)
        }
    );
    let mut got = Vec::new();
    let mut sizes = Vec::new();
    while let Some(chunk) = download.chunk().await.unwrap() {
        sizes.push(chunk.len());
        got.extend_from_slice(&chunk);
    }
    assert_eq!(sizes, [65536, 65536, 65536, 3392]);
    assert_eq!(got, data);
    assert_eq!(download.progress().bytes, 200_000);
    // By name, with a chunk size that fits the file exactly: one chunk.
    let mut stream = api
        .download_file_stream("big.bin")
        .chunk_size(200_000)
        .await
        .unwrap();
    let mut chunks = Vec::new();
    while let Some(packet) = stream.packet().await.unwrap() {
        if let DownloadPacket::Chunk(c) = packet {
            assert_eq!((c.index, c.size, c.progress), (0, 200_000, 100));
            chunks.push(c);
        }
    }
    assert_eq!(chunks.len(), 1);
    let done = stream.finish().await.unwrap();
    assert_eq!((done.total_chunks, done.total_bytes), (1, 200_000));
}

async fn an_empty_file_downloads_as_no_chunks(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    sim.add_file("empty.txt", Vec::new(), FileKind::File);
    let download = api.download("empty.txt").await.unwrap();
    assert_eq!(download.info().file_size, 0);
    assert_eq!(download.progress().total, None);
    assert!(download.to_vec().await.unwrap().is_empty());
}

async fn images_and_voice_and_napcats_errors(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    let image =
        api_core::FileDownload::new(api.download_file_image_stream("cat.png").await.unwrap())
            .await
            .unwrap();
    assert_eq!(
        (image.info().width, image.info().height),
        (Some(64), Some(48))
    );
    assert_eq!(image.to_vec().await.unwrap().len(), 2048);
    let voice = api_core::FileDownload::new(
        api.download_file_record_stream("hello.amr")
            .out_format(AudioFormat::Mp3)
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(voice.info().out_format, Some(AudioFormat::Mp3));
    // NapCat's own errors, as its handlers throw them.
    assert_failure(
        via,
        api.download("no-such-file").await,
        "Download failed: file not found",
    );
    let bad_format = api
        .call_json(
            "download_file_record_stream",
            serde_json::json!({"file": "hello.amr", "out_format": "xyz"}),
        )
        .await;
    assert_failure(
        via,
        bad_format,
        "Download failed: 转换失败 out_format 字段可能格式不正确",
    );
}

async fn a_broken_download_leaves_no_file(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    sim.add_file("big.bin", sample(300_000), FileKind::File);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.bin");
    // The file information and two chunks arrive, then the connection breaks.
    sim.script("download_file_stream", Fault::BreakStream { after: 3 });
    let mut seen = Vec::new();
    let err = api
        .download("big.bin")
        .await
        .unwrap()
        .save_with(&target, |p| seen.push(p.bytes))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Disconnected { .. } | Error::Transport { .. }),
        "{err:?}"
    );
    assert_eq!(seen, [65536, 131072]);
    assert!(!target.exists(), "no file claims to be whole");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the partial file is removed"
    );
    if via == Via::ReverseWs {
        return; // The simulator's reverse link does not reconnect.
    }
    // Whole, it is written and equals the source.
    let saved = api
        .download("big.bin")
        .await
        .unwrap()
        .save(&target)
        .await
        .unwrap();
    assert_eq!(saved.bytes, 300_000);
    assert_eq!(std::fs::read(&target).unwrap(), sample(300_000));
}

async fn uploads_arrive_whole_and_checked(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let data = sample(100_000);
    let progress = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = progress.clone();
    let up = api
        .upload(data.clone())
        .name("data.bin")
        .chunk_size(30_000)
        .in_flight(1)
        .on_progress(move |p| seen.lock().unwrap().push(p))
        .await
        .unwrap();
    assert_eq!(up.path, format!("{}/data.bin", api_sim::TEMP_DIR));
    assert_eq!(up.size, 100_000);
    assert_eq!(sim.temp_file(&up.path).unwrap(), data);
    let progress = progress.lock().unwrap().clone();
    assert_eq!(progress.len(), 4);
    assert_eq!(
        progress.last(),
        Some(&Progress {
            bytes: 100_000,
            total: Some(100_000)
        })
    );
    // Four chunks, then the merge. NapCat reads the size, hash and name only from the call
    // that creates the stream: the first chunk (the only one in flight before an answer)
    // carries them, the others and the merge carry the stream id and their own keys.
    let calls: Vec<_> = sim
        .take_calls()
        .into_iter()
        .filter(|c| c.action == "upload_file_stream")
        .collect();
    assert_eq!(calls.len(), 5);
    let keys = |c: &api_sim::RecordedCall| -> Vec<String> {
        let mut k: Vec<String> = c.params.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&calls[0]),
        [
            "chunk_data",
            "chunk_index",
            "expected_sha256",
            "file_size",
            "filename",
            "stream_id",
            "total_chunks"
        ]
    );
    assert_eq!(calls[0].params["total_chunks"], 4);
    assert_eq!(calls[0].params["expected_sha256"], up.sha256.as_str());
    assert_eq!(calls[0].params["file_size"], 100_000);
    assert_eq!(calls[0].params["filename"], "data.bin");
    for c in &calls[1..4] {
        assert_eq!(keys(c), ["chunk_data", "chunk_index", "stream_id"]);
    }
    assert_eq!(keys(&calls[4]), ["is_complete", "stream_id"]);
    assert_eq!(calls[4].params["is_complete"], true);
    // From a local file, exactly one chunk.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.bin");
    std::fs::write(&path, sample(4096)).unwrap();
    let up = api.upload(path.as_path()).chunk_size(4096).await.unwrap();
    assert!(up.path.ends_with("/one.bin"), "{}", up.path);
    assert_eq!(sim.temp_file(&up.path).unwrap(), sample(4096));
    // An empty file cannot go this way; nothing is sent.
    sim.take_calls();
    std::fs::write(&path, b"").unwrap();
    match api.upload(path.as_path()).await {
        Err(Error::InvalidArgument { reason, .. }) => assert!(reason.contains("empty"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(sim.take_calls().is_empty());
}

async fn napcats_upload_errors(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    // A chunk whose bytes do not match the hash given: the merge refuses.
    let wrong = "0".repeat(64);
    api.upload_file_stream("s1")
        .chunk_data(b"abc".to_vec())
        .chunk_index(0)
        .total_chunks(1)
        .expected_sha256(wrong.clone())
        .await
        .unwrap();
    assert_failure(
        via,
        api.upload_file_stream("s1").is_complete(true).await,
        &format!(
            "SHA256 mismatch. Expected: {wrong}, Got: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ),
    );
    // A chunk index beyond the total, and a merge with a chunk missing.
    assert_failure(
        via,
        api.upload_file_stream("s2")
            .chunk_data(b"abc".to_vec())
            .chunk_index(2)
            .total_chunks(2)
            .file_size(6)
            .await,
        "Invalid chunk index: 2",
    );
    let status = api
        .upload_file_stream("s2")
        .chunk_data(b"def".to_vec())
        .chunk_index(1)
        .total_chunks(2)
        .await
        .unwrap();
    assert_eq!(
        (status.status, status.received_chunks),
        (UploadState::ChunkReceived, 1)
    );
    assert_failure(
        via,
        api.upload_file_stream("s2").is_complete(true).await,
        "Missing memory chunk 0",
    );
    // Chunks may come in any order; a repeated one is not taken twice.
    for _ in 0..2 {
        api.upload_file_stream("s2")
            .chunk_data(b"abc".to_vec())
            .chunk_index(0)
            .await
            .unwrap();
    }
    let done = api
        .upload_file_stream("s2")
        .is_complete(true)
        .await
        .unwrap();
    assert_eq!(
        (done.status, done.file_size),
        (UploadState::Complete, Some(6))
    );
    assert_failure(
        via,
        api.upload_file_stream("new").chunk_index(0).await,
        "total_chunks required for new stream",
    );
    assert_failure(
        via,
        api.upload_file_stream("gone").verify_only(true).await,
        "Stream not found",
    );
}

async fn an_upload_resends_a_chunk_napcat_reports_missing(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    // The second chunk's call is answered as received but NapCat never stored it.
    on_call(
        &sim,
        "upload_file_stream",
        2,
        Fault::Envelope(
            serde_json::json!({"status": "ok", "retcode": 0, "data": {"type": "stream", "stream_id": "x", "status": "chunk_received", "received_chunks": 2, "total_chunks": 3}, "message": "", "wording": ""}),
        ),
    );
    let data = sample(3000);
    let up = api
        .upload(data.clone())
        .chunk_size(1000)
        .in_flight(1)
        .await
        .unwrap();
    assert_eq!(sim.temp_file(&up.path).unwrap(), data);
}

over_every_transport! {
    downloads_arrive_whole_and_in_order,
    an_empty_file_downloads_as_no_chunks,
    images_and_voice_and_napcats_errors,
    a_broken_download_leaves_no_file,
    uploads_arrive_whole_and_checked,
    napcats_upload_errors,
    an_upload_resends_a_chunk_napcat_reports_missing,
    group_files_through_their_life,
    a_member_uploading_a_file_is_a_notice,
    media_and_private_files,
}

/// A chunk call the connection fails is sent again once the client reconnects (forward
/// WebSocket) or on a new request (HTTP); NapCat ignores a chunk it has, so the file arrives
/// whole. (The simulator's reverse link does not reconnect.)
async fn an_upload_survives_a_dropped_connection(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let fault = match via {
        Via::Http => Fault::Hang,
        _ => Fault::CloseConnection,
    };
    on_call(&sim, "upload_file_stream", 3, fault);
    let data = sample(5000);
    let up = api
        .upload(data.clone())
        .chunk_size(1000)
        .in_flight(2)
        .timeout(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(sim.temp_file(&up.path).unwrap(), data);
}

#[tokio::test]
async fn an_upload_survives_a_dropped_connection_over_http() {
    an_upload_survives_a_dropped_connection(Via::Http).await;
}

#[tokio::test]
async fn an_upload_survives_a_dropped_connection_over_ws() {
    an_upload_survives_a_dropped_connection(Via::Ws).await;
}

/// A file parameter holding more local data than the strategy's threshold goes by stream
/// upload first and names the uploaded path; below it, or with `Inline`, it goes in the call.
#[tokio::test]
async fn large_file_parameters_go_by_stream_upload() {
    for (strategy, streamed) in [
        (UploadStrategy::StreamAbove(1000), true),
        (UploadStrategy::StreamAbove(5000), false),
        (UploadStrategy::Inline, false),
    ] {
        let sim = Simulator::start(Default::default()).await.unwrap();
        let api = Client::builder()
            .ws_url(sim.ws_url("/api"))
            .upload_strategy(strategy)
            .connect()
            .await
            .unwrap();
        api.set_avatar(Uploadable::bytes(sample(2000)))
            .await
            .unwrap();
        let calls = sim.take_calls();
        let avatar = calls.last().unwrap();
        assert_eq!(avatar.action, "set_qq_avatar");
        let file = avatar.params["file"].as_str().unwrap();
        if streamed {
            assert!(calls.len() > 1 && calls[0].action == "upload_file_stream");
            assert_eq!(sim.temp_file(file).unwrap(), sample(2000), "{file}");
        } else {
            assert_eq!(calls.len(), 1);
            assert!(file.starts_with("base64://"), "{strategy:?}");
        }
    }
}

/// A download over HTTP from a server that wants a token: the body of envelopes is read the
/// same way as any reply.
#[tokio::test]
async fn a_download_over_http_with_a_token() {
    let config = api_sim::SimConfig {
        token: Some("secret".into()),
        ..Default::default()
    };
    let (_sim, api, _keep) = setup_with(Via::Http, config).await;
    assert_eq!(
        api.download("cat.png")
            .await
            .unwrap()
            .to_vec()
            .await
            .unwrap()
            .len(),
        2048
    );
}

async fn group_files_through_their_life(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    let root = api.get_group_root_files(GROUP).await.unwrap();
    assert_eq!(
        root.files
            .iter()
            .map(|f| f.file_name.as_str())
            .collect::<Vec<_>>(),
        ["Rust 学习资料.txt"]
    );
    assert_eq!(root.folders[0].folder_name, "课件");
    assert_eq!(root.folders[0].total_file_count, 1);
    let before = api.get_group_file_system_info(GROUP).await.unwrap();
    assert_eq!((before.file_count, before.limit_count), (2, 10000));
    // A new folder, and a file uploaded into it.
    let created = api.create_group_file_folder(GROUP, "作业").await.unwrap();
    assert_eq!(created.result.ret_code, 0);
    let folder = created.group_item["folderInfo"]["folderId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = api
        .upload_group_file(GROUP, Uploadable::bytes(sample(5000)), "作业一.bin")
        .folder(folder.clone())
        .await
        .unwrap();
    let inside = api
        .get_group_files_by_folder(GROUP, folder.clone())
        .await
        .unwrap();
    let file = &inside.files[0];
    assert_eq!((file.file_name.as_str(), file.size), ("作业一.bin", 5000));
    assert!(inside.folders.is_empty(), "NapCat lists no subfolders here");
    // What uploading returns is QQ's id, which NapCat's other actions do not take.
    assert_failure(
        via,
        api.delete_group_file(GROUP, sent.file_id.clone().unwrap())
            .await,
        "Invalid file_id",
    );
    // The listed id downloads the bytes and gets a link.
    let bytes = api
        .download(file.file_id.as_str())
        .await
        .unwrap()
        .to_vec()
        .await
        .unwrap();
    assert_eq!(bytes, sample(5000));
    assert!(
        api.get_group_file_url(GROUP, file.file_id.clone())
            .await
            .unwrap()
            .url
            .starts_with("https://")
    );
    // Moved to the root, renamed, kept for good.
    api.move_group_file(GROUP, file.file_id.clone(), folder.clone(), "/")
        .await
        .unwrap();
    api.rename_group_file(GROUP, file.file_id.clone(), "/", "作业一（终稿）.bin")
        .await
        .unwrap();
    assert!(
        api.trans_group_file(GROUP, file.file_id.clone())
            .await
            .unwrap()
            .ok
    );
    let root = api.get_group_root_files(GROUP).await.unwrap();
    assert!(
        root.files
            .iter()
            .any(|f| f.file_name == "作业一（终稿）.bin")
    );
    let info = api.get_group_file_system_info(GROUP).await.unwrap();
    assert_eq!(info.file_count, 3);
    assert_eq!(info.used_space, before.used_space + 5000);
    // Deleted: the file by its listed id, the folder by its id.
    let deleted = api
        .delete_group_file(GROUP, file.file_id.clone())
        .await
        .unwrap();
    assert_eq!(
        deleted.trans_group_file_result.success_file_id_list.len(),
        1
    );
    assert_eq!(
        api.delete_group_folder(GROUP, folder)
            .await
            .unwrap()
            .ret_code,
        0
    );
    assert_eq!(
        api.get_group_root_files(GROUP).await.unwrap().folders.len(),
        1
    );
    // NapCat's texts for ids it cannot read and groups it does not know.
    assert_failure(
        via,
        api.get_group_file_url(GROUP, "no-such-id").await,
        "real fileUUID not found!",
    );
    assert_failure(
        via,
        api.get_group_file_system_info(api_core::GroupId(999)).await,
        "Group not found",
    );
}

async fn a_member_uploading_a_file_is_a_notice(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let mut events = api.events();
    let id = sim.inject_group_file(100200, 234567, "照片.zip", sample(1234));
    let notice = loop {
        if let api_core::types::Event::Notice(api_core::types::Notice::GroupUpload(n)) =
            events.recv().await.unwrap()
        {
            break n;
        }
    };
    assert_eq!((notice.group_id, notice.user_id.0), (GROUP, 234567));
    assert_eq!(
        (
            notice.file.id.as_str(),
            notice.file.name.as_str(),
            notice.file.size,
            notice.file.busid
        ),
        (id.as_str(), "照片.zip", 1234, 102)
    );
    let bytes = api
        .download(notice.file.id.as_str())
        .await
        .unwrap()
        .to_vec()
        .await
        .unwrap();
    assert_eq!(bytes, sample(1234));
}

async fn media_and_private_files(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let file = api.get_file("Rust 学习资料.txt").await.unwrap();
    assert_eq!(file.file_name.as_deref(), Some("Rust 学习资料.txt"));
    assert!(
        file.base64.is_none(),
        "only with NapCat's enableLocalFile2Url"
    );
    let voice = api.get_record("hello.amr", AudioFormat::Ogg).await.unwrap();
    assert!(voice.file.unwrap().ends_with("hello.amr.ogg"));
    assert_eq!(voice.base64.unwrap().len(), 4096);
    assert_failure(via, api.get_image("no-such.png").await, "file not found");
    // NapCat fetches a URL (or takes the content) into its temp directory.
    sim.add_url("https://example.com/a.bin", sample(300));
    sim.take_calls();
    let saved = api
        .download_file(api_core::types::DownloadSource::Url(
            "https://example.com/a.bin".into(),
        ))
        .header("User-Agent", "bot/1.0")
        .header("Cookie", "a=b")
        .await
        .unwrap();
    // Headers go as NapCat splits them: `Name=Value`, at the first `=`.
    assert_eq!(
        sim.take_calls().last().unwrap().params["headers"],
        serde_json::json!(["User-Agent=bot/1.0", "Cookie=a=b"])
    );
    let md5 = "ba192da143bba0b92860addef11cd4d1";
    assert_eq!(
        saved.file,
        format!("{}/{md5}", api_sim::TEMP_DIR),
        "named by its MD5"
    );
    assert_eq!(sim.temp_file(&saved.file).unwrap(), sample(300));
    let named = api
        .download_file(api_core::types::DownloadSource::Base64(sample(10).into()))
        .name("ten.bin")
        .await
        .unwrap();
    assert_eq!(named.file, format!("{}/ten.bin", api_sim::TEMP_DIR));
    // The saved path is a file parameter NapCat takes.
    api.upload_group_file(GROUP, Uploadable::server(named.file), "ten.bin")
        .await
        .unwrap();
    assert_failure(
        via,
        api.call_json("download_file", serde_json::json!({})).await,
        "不存在任何文件, 无法下载",
    );
    // A file a friend sent has a link; anything else is not NapCat's id.
    let link = api
        .get_private_file_url("5f1e0000-0000-4000-8000-000000000004")
        .await
        .unwrap();
    assert!(link.url.starts_with("https://"));
    let sent = api
        .upload_private_file(
            api_core::UserId(123456),
            Uploadable::bytes(sample(10)),
            "x.bin",
        )
        .await
        .unwrap();
    assert_failure(
        via,
        api.get_private_file_url(sent.file_id.unwrap()).await,
        "real fileUUID not found!",
    );
}

/// A large local file for a file parameter goes by stream upload first; the group file is
/// then made from the uploaded path.
#[tokio::test]
async fn a_large_group_file_goes_by_stream_upload_first() {
    let sim = Simulator::start(Default::default()).await.unwrap();
    let api = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .upload_strategy(UploadStrategy::StreamAbove(100_000))
        .connect()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("video.mp4");
    std::fs::write(&path, sample(700_000)).unwrap();
    api.upload_group_file(GROUP, Uploadable::path(&path), "video.mp4")
        .await
        .unwrap();
    let calls = sim.take_calls();
    let upload = calls.last().unwrap();
    assert_eq!(
        upload.params["file"],
        format!("{}/video.mp4", api_sim::TEMP_DIR)
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.action == "upload_file_stream")
            .count(),
        4, // three chunks of 256 KiB, then the merge
    );
    let root = api.get_group_root_files(GROUP).await.unwrap();
    let video = root
        .files
        .iter()
        .find(|f| f.file_name == "video.mp4")
        .unwrap();
    assert_eq!(video.size, 700_000);
}

/// Two saves to the same path at once each write a file of their own and rename it: both
/// succeed and the path holds a whole file.
#[tokio::test]
async fn two_saves_to_one_path_at_once_leave_a_whole_file() {
    let (sim, api, _keep) = setup(Via::Ws).await;
    sim.add_file("big.bin", sample(300_000), FileKind::File);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.bin");
    let (a, b) = tokio::join!(
        async { api.download("big.bin").await.unwrap().save(&target).await },
        async { api.download("big.bin").await.unwrap().save(&target).await },
    );
    assert_eq!((a.unwrap().bytes, b.unwrap().bytes), (300_000, 300_000));
    assert_eq!(std::fs::read(&target).unwrap(), sample(300_000));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no part file is left"
    );
}

/// A download's chunks also come as a `futures` stream of bytes.
#[tokio::test]
async fn chunks_as_a_futures_stream() {
    use futures_util::TryStreamExt;
    let (sim, api, _keep) = setup(Via::Http).await;
    sim.add_file("big.bin", sample(150_000), FileKind::File);
    let chunks: Vec<_> = api
        .download("big.bin")
        .await
        .unwrap()
        .into_chunks()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks.concat(), sample(150_000));
}

/// A download server that answers with the file information (`file_size` bytes, 1,023 a
/// chunk), then `chunks` chunks of 1,023 zero bytes, and then nothing more.
async fn chunks_server(file_size: u64, chunks: usize) -> Client {
    use api_tests::hostile::{WsMove, hostile_ws, ok_reply};
    use serde_json::json;
    let (addr, _) = hostile_ws(move |_, req| {
        let info = json!({"type": "stream", "data_type": "file_info", "file_name": "endless.bin",
            "file_size": file_size, "chunk_size": 1023});
        let chunk = |index: usize| {
            // 1,023 zero bytes are 1,364 `A`s in base64.
            json!({"type": "stream", "data_type": "file_chunk", "index": index,
                "data": "A".repeat(1364), "size": 1023, "progress": 0, "base64_size": 1364})
        };
        std::iter::once(info)
            .chain((0..chunks).map(chunk))
            .map(|packet| WsMove::Text(ok_reply(req, packet)))
            .collect()
    })
    .await;
    Client::builder()
        .ws_url(format!("ws://{addr}/"))
        .timeout(Duration::from_secs(60))
        .connect()
        .await
        .unwrap()
}

/// Chunks that go on past the size NapCat announced end the download at that size, with
/// nothing written past it and no file left; without a size, `max_bytes` is the limit.
#[tokio::test]
async fn chunks_past_the_announced_size_end_the_download() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("endless.bin");
    let api = chunks_server(2 * 1023, 40).await;
    let mut seen = Vec::new();
    let err = api
        .download("endless.bin")
        .await
        .unwrap()
        .save_with(&target, |p| seen.push(p.bytes))
        .await
        .unwrap_err();
    match err {
        Error::BadReply { reason, .. } => assert_eq!(
            reason,
            "chunk 2 brings the file to 3069 bytes, past the 2046 bytes NapCat announced"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen, [1023, 2046]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let api = chunks_server(0, 40).await;
    let err = api
        .download("endless.bin")
        .await
        .unwrap()
        .max_bytes(3000)
        .to_vec()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("past the limit of 3000 bytes (FileDownload::max_bytes)"),
        "{err}"
    );
}

/// A save whose future is dropped mid-way (a timeout around it, a task aborted) leaves no
/// `.part` file behind.
#[tokio::test]
async fn a_dropped_save_leaves_no_part_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("endless.bin");
    // One chunk of four arrives, then the server falls silent.
    let api = chunks_server(4 * 1023, 1).await;
    let download = api.download("endless.bin").await.unwrap();
    let (first, arrived) = tokio::sync::oneshot::channel();
    let mut first = Some(first);
    let save = download.save_with(&target, move |_| {
        if let Some(first) = first.take() {
            let _ = first.send(());
        }
    });
    tokio::select! {
        saved = save => panic!("the save cannot finish: {saved:?}"),
        _ = arrived => {}
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the partial file went with the save"
    );
}
