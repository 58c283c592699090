//! Unit tests of the WebSocket core over channels and in-memory WebSockets.

use std::task::Waker;

use crate::transport::ws::connection::{Outgoing, release_write_waker};
use crate::transport::ws::core::{Sending, WsCore, request_frame};
use crate::transport::ws::reply_wait::DEFAULT_REPLY_POLL;
use crate::transport::ws::slots::{ConnEnd, ConnState, Routed};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::error::Error;
use crate::wire::reply::RawReply;

/// A waker that counts how often it is woken.
#[derive(Default)]
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Both ends of a WebSocket over an in-memory pipe holding up to `buffer` bytes each way:
/// ours (the client) and the server's.
async fn ws_pair(
    buffer: usize,
) -> (
    WebSocketStream<tokio::io::DuplexStream>,
    WebSocketStream<tokio::io::DuplexStream>,
) {
    use tokio_tungstenite::tungstenite::protocol::Role;
    let (ours, theirs) = tokio::io::duplex(buffer);
    (
        WebSocketStream::from_raw_socket(ours, Role::Client, None).await,
        WebSocketStream::from_raw_socket(theirs, Role::Server, None).await,
    )
}

/// The reader waits for a frame, and the server sends one: the reader gets it.
async fn server_sends_the_reader_a_frame(
    stream: &mut futures_util::stream::SplitStream<WebSocketStream<tokio::io::DuplexStream>>,
    theirs: &mut WebSocketStream<tokio::io::DuplexStream>,
) {
    let mut reader = Context::from_waker(Waker::noop());
    assert!(stream.poll_next_unpin(&mut reader).is_pending());
    theirs.send(Message::text("reply")).await.unwrap();
    let Poll::Ready(Some(Ok(Message::Text(frame)))) = stream.poll_next_unpin(&mut reader) else {
        panic!("the reader did not get the frame");
    };
    assert_eq!(frame.as_str(), "reply");
}

/// Writes a frame with a writer task's waker (then releases it, if `release`), lets the
/// reader wait, and sends it a frame from the server: how often the writer was woken.
async fn writer_wakes_when_a_frame_arrives(release: bool) -> usize {
    let (ours, mut theirs) = ws_pair(1 << 16).await;
    let (mut sink, mut stream) = ours.split();
    let writer = Arc::new(CountingWaker::default());
    let writer_waker = Waker::from(writer.clone());
    let mut cx = Context::from_waker(&writer_waker);
    let mut sink = Pin::new(&mut sink);
    assert!(matches!(
        sink.as_mut().poll_ready(&mut cx),
        Poll::Ready(Ok(()))
    ));
    sink.as_mut().start_send(Message::text("{}")).unwrap();
    assert!(matches!(
        sink.as_mut().poll_flush(&mut cx),
        Poll::Ready(Ok(()))
    ));
    if release {
        assert!(matches!(
            release_write_waker(sink.get_mut()),
            Poll::Ready(Ok(()))
        ));
    }
    // The reader gets the frame either way.
    server_sends_the_reader_a_frame(&mut stream, &mut theirs).await;
    writer.0.load(Ordering::SeqCst)
}

#[tokio::test]
async fn a_frame_arriving_does_not_wake_a_writer_that_released_its_waker() {
    // Without the release, tokio-tungstenite wakes the writer for every frame read: the
    // case the release is for.
    assert_eq!(writer_wakes_when_a_frame_arrives(false).await, 1);
    assert_eq!(writer_wakes_when_a_frame_arrives(true).await, 0);
}

/// Runs the writer over an in-memory connection with `calls` calls in flight, until it has
/// written their frames and waits for more; then the reader gets a frame from the server:
/// how often that woke the writer.
async fn writer_wakes_on_a_reply_with_calls_in_flight(calls: usize) -> usize {
    let (ours, mut theirs) = ws_pair(1 << 16).await;
    let (sink, mut stream) = ours.split();
    let core = core_without_events();
    let (conn, queue) = mpsc::channel::<Message>(4);
    core.set_state(ConnState::Up(conn));
    let mut in_flight: Vec<_> = (0..calls)
        .map(|_| core.send("get_status", "{}".into(), Duration::from_secs(3600)))
        .collect();
    for call in &mut in_flight {
        assert!(poll_once(call).is_pending());
    }
    let woken = Arc::new(CountingWaker::default());
    let writer_waker = Waker::from(woken.clone());
    let mut writer = Box::pin(
        core.clone()
            .write_frames(sink, Outgoing::new(queue).0, true),
    );
    // Polled until it waits for more: with several calls in flight it yields once before it
    // flushes (letting other callers queue their frames), which wakes it again.
    loop {
        let seen = woken.0.load(Ordering::SeqCst);
        assert!(
            writer
                .as_mut()
                .poll(&mut Context::from_waker(&writer_waker))
                .is_pending()
        );
        tokio::task::yield_now().await;
        if woken.0.load(Ordering::SeqCst) == seen {
            break;
        }
    }
    for _ in 0..calls {
        assert!(matches!(theirs.next().await, Some(Ok(Message::Text(_)))));
    }
    let before = woken.0.load(Ordering::SeqCst);
    server_sends_the_reader_a_frame(&mut stream, &mut theirs).await;
    woken.0.load(Ordering::SeqCst) - before
}

#[tokio::test]
async fn the_writer_releases_its_waker_only_with_one_call_in_flight() {
    assert_eq!(writer_wakes_on_a_reply_with_calls_in_flight(1).await, 0);
    // With more in flight the writer keeps its waker: the spurious wake measured faster.
    assert_eq!(writer_wakes_on_a_reply_with_calls_in_flight(2).await, 1);
}

#[tokio::test]
async fn at_most_one_pending_counts_calls_across_shares() {
    let core = core_without_events();
    let (conn, _written) = mpsc::channel::<Message>(4);
    core.set_state(ConnState::Up(conn));
    assert!(core.at_most_one_pending());
    let mut first = core.send("get_status", "{}".into(), Duration::from_secs(3600));
    assert!(poll_once(&mut first).is_pending());
    assert!(core.at_most_one_pending());
    // Consecutive echoes fall in different shares.
    let mut second = core.send("get_status", "{}".into(), Duration::from_secs(3600));
    assert!(poll_once(&mut second).is_pending());
    assert_eq!(core.pending_count(), 2);
    assert!(!core.at_most_one_pending());
    drop(second);
    assert!(core.at_most_one_pending());
}

/// A core whose events go nowhere, not connected yet.
fn core_without_events() -> Arc<WsCore> {
    let events = crate::events::bus::EventBus::new(1, 1024);
    WsCore::new(events, None)
}

/// Polls a call once, without a task to wake.
fn poll_once(sending: &mut Sending<'static>) -> Poll<Result<RawReply, Error>> {
    Pin::new(sending).poll(&mut Context::from_waker(Waker::noop()))
}

#[tokio::test]
async fn a_call_meeting_a_stopped_writer_waits_for_the_next_connection() {
    let core = core_without_events();
    // A connection whose writer stopped, its end not recorded yet.
    let (stopped, _) = mpsc::channel::<Message>(1);
    core.set_state(ConnState::Up(stopped));
    let mut call = core.send("get_status", "{}".into(), Duration::from_secs(3600));
    for _ in 0..3 {
        assert!(
            poll_once(&mut call).is_pending(),
            "the call failed or ended"
        );
    }
    // The end is recorded, and the next connection comes up: the frame goes there.
    core.set_state(ConnState::Connecting(Some("writer stopped".into())));
    let (next, mut written) = mpsc::channel::<Message>(1);
    core.set_state(ConnState::Up(next));
    assert!(poll_once(&mut call).is_pending());
    let Ok(frame @ Message::Text(_)) = written.try_recv() else {
        panic!("the frame was not queued on the new connection");
    };
    let request: serde_json::Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(request["action"], "get_status");
    let reply = reply_to(&frame);
    assert!(matches!(core.on_frame(reply.into()), Routed::Done));
    let Poll::Ready(Ok(reply)) = poll_once(&mut call) else {
        panic!("the reply did not reach its call");
    };
    assert!(std::str::from_utf8(&reply.body).unwrap().contains("online"));
}

/// A successful reply to the request `frame`.
fn reply_to(frame: &Message) -> String {
    let Message::Text(frame) = frame else {
        panic!("not a request frame: {frame:?}");
    };
    let frame: serde_json::Value = serde_json::from_str(frame).unwrap();
    format!(
        r#"{{"status":"ok","retcode":0,"data":{{"online":true}},"echo":{}}}"#,
        frame["echo"]
    )
}

#[tokio::test]
async fn calls_the_ended_connection_never_wrote_are_sent_on_the_next_one() {
    let core = core_without_events();
    let (conn, mut queue) = mpsc::channel::<Message>(2);
    core.set_state(ConnState::Up(conn));
    let hour = Duration::from_secs(3600);
    let mut written = core.send("get_status", "{}".into(), hour);
    assert!(poll_once(&mut written).is_pending());
    // The writer takes the first frame: the server may have got it.
    let written_frame = queue.try_recv().unwrap();
    let mut unwritten = core.send("get_status", "{}".into(), hour);
    let mut waiting_for_room = [
        core.send("get_status", "{}".into(), hour),
        core.send("get_status", "{}".into(), hour),
    ];
    for call in [&mut unwritten, &mut written]
        .into_iter()
        .chain(&mut waiting_for_room)
    {
        assert!(poll_once(call).is_pending());
    }
    core.end_with(&ConnEnd::Lost("reset".into()), Some(queue));
    // The call whose frame was written ends with the connection, as its reply may never
    // come; the others were not sent, and wait for the next connection.
    let Poll::Ready(Err(Error::Disconnected { reason, .. })) = poll_once(&mut written) else {
        panic!("the written call did not end with its connection");
    };
    assert_eq!(reason, "reset");
    for call in std::iter::once(&mut unwritten).chain(&mut waiting_for_room) {
        assert!(poll_once(call).is_pending(), "an unsent call ended");
    }
    let (next, mut next_queue) = mpsc::channel::<Message>(8);
    core.set_state(ConnState::Up(next));
    for call in std::iter::once(&mut unwritten).chain(&mut waiting_for_room) {
        assert!(poll_once(call).is_pending());
    }
    // Each unsent call's frame goes out once on the new connection; the written one's not.
    let mut resent = Vec::new();
    while let Ok(frame) = next_queue.try_recv() {
        resent.push(frame);
    }
    assert_eq!(resent.len(), 3);
    assert!(!resent.contains(&written_frame));
    for frame in &resent {
        assert!(matches!(
            core.on_frame(reply_to(frame).into()),
            Routed::Done
        ));
    }
    for call in std::iter::once(&mut unwritten).chain(&mut waiting_for_room) {
        assert!(matches!(poll_once(call), Poll::Ready(Ok(_))));
    }
    assert_eq!(core.pending_count(), 0);
}

#[tokio::test]
async fn a_stalled_writers_queue_goes_out_on_the_next_connection() {
    use tokio::io::AsyncReadExt;
    use tokio_tungstenite::tungstenite::protocol::Role;
    let core = core_without_events();
    let hour = Duration::from_secs(3600);
    // The first server reads a few bytes and then nothing: the writer stalls on its first
    // frame, and the frames of the calls made after it stay in the queue.
    let (ours, mut theirs) = tokio::io::duplex(64);
    let ws = WebSocketStream::from_raw_socket(ours, Role::Client, None).await;
    let first = tokio::spawn({
        let core = core.clone();
        async move {
            core.run(ws, None, true, DEFAULT_REPLY_POLL, std::future::pending())
                .await
        }
    });
    let mut state = core.subscribe_state();
    state
        .wait_for(|s| matches!(s, ConnState::Up(_)))
        .await
        .unwrap();
    let padded = format!(r#"{{"pad":"{}"}}"#, "x".repeat(4096));
    let stalled = tokio::spawn(core.send("get_status", padded, hour));
    let mut first_bytes = [0u8; 16];
    theirs.read_exact(&mut first_bytes).await.unwrap();
    let queued: Vec<_> = (0..3)
        .map(|_| tokio::spawn(core.send("get_status", "{}".into(), hour)))
        .collect();
    while core.pending_count() < 4 {
        tokio::task::yield_now().await;
    }
    drop(theirs);
    assert!(matches!(first.await.unwrap(), ConnEnd::Lost(_)));
    // The stalled frame was partly written: its call ends with the connection.
    assert!(matches!(
        stalled.await.unwrap(),
        Err(Error::Disconnected { .. })
    ));
    // The second server answers everything it gets, and notes each echo.
    let (ws, mut server) = ws_pair(1 << 16).await;
    let (echoes_tx, mut echoes) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(frame)) = server.next().await {
            if let Message::Text(text) = &frame {
                let value: serde_json::Value = serde_json::from_str(text).unwrap();
                echoes_tx.send(value["echo"].as_u64().unwrap()).unwrap();
                server.send(Message::text(reply_to(&frame))).await.unwrap();
            }
        }
    });
    let second = tokio::spawn({
        let core = core.clone();
        async move {
            core.run(ws, None, true, DEFAULT_REPLY_POLL, std::future::pending())
                .await
        }
    });
    for call in queued {
        assert!(call.await.unwrap().is_ok());
    }
    second.abort();
    let mut seen = Vec::new();
    while let Ok(echo) = echoes.try_recv() {
        seen.push(echo);
    }
    let sent = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(
        (sent, seen.len()),
        (3, 3),
        "each unsent frame once on the new connection"
    );
}

#[tokio::test]
async fn a_stream_waiting_for_room_is_sent_on_the_next_connection() {
    let core = core_without_events();
    let (_call, queue) = one_call_queued(&core, Duration::from_secs(3600));
    // The queue is full: the stream's call waits for room, and has sent nothing.
    let mut stream = Box::pin(core.send_stream(
        "download_file_stream",
        "{}".into(),
        Duration::from_secs(3600),
    ));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(stream.as_mut().poll(&mut cx).is_pending());
    core.end_with(&ConnEnd::Lost("reset".into()), Some(queue));
    assert!(stream.as_mut().poll(&mut cx).is_pending());
    let (next, mut next_queue) = mpsc::channel::<Message>(8);
    core.set_state(ConnState::Up(next));
    let Poll::Ready(Ok(mut packets)) = stream.as_mut().poll(&mut cx) else {
        panic!("the stream's call was not sent on the new connection");
    };
    let frame = next_queue.try_recv().unwrap();
    assert!(matches!(&frame, Message::Text(t) if t.contains("download_file_stream")));
    assert!(matches!(
        core.on_frame(reply_to(&frame).into()),
        Routed::Done
    ));
    let reply = packets.next("download_file_stream").await.unwrap();
    assert!(std::str::from_utf8(&reply.body).unwrap().contains("online"));
}

#[tokio::test]
async fn a_streams_request_left_in_the_queue_is_sent_on_the_next_connection() {
    let core = core_without_events();
    let (conn, queue) = mpsc::channel::<Message>(1);
    core.set_state(ConnState::Up(conn));
    let hour = Duration::from_secs(3600);
    let mut packets = core
        .send_stream("download_file_stream", "{}".into(), hour)
        .await
        .unwrap();
    core.end_with(&ConnEnd::Lost("reset".into()), Some(queue));
    let mut next = Box::pin(packets.next("download_file_stream"));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(next.as_mut().poll(&mut cx).is_pending(), "the stream ended");
    let (conn, mut next_queue) = mpsc::channel::<Message>(8);
    core.set_state(ConnState::Up(conn));
    assert!(next.as_mut().poll(&mut cx).is_pending());
    let frame = next_queue.try_recv().unwrap();
    assert!(matches!(&frame, Message::Text(t) if t.contains("download_file_stream")));
    assert!(matches!(
        core.on_frame(reply_to(&frame).into()),
        Routed::Done
    ));
    let Poll::Ready(Ok(reply)) = next.as_mut().poll(&mut cx) else {
        panic!("the envelope did not reach the stream");
    };
    assert!(std::str::from_utf8(&reply.body).unwrap().contains("online"));
}

/// A connection with one call queued, its frame not written yet: the call and the queue.
fn one_call_queued(
    core: &Arc<WsCore>,
    timeout: Duration,
) -> (Sending<'static>, mpsc::Receiver<Message>) {
    let (conn, queue) = mpsc::channel::<Message>(1);
    core.set_state(ConnState::Up(conn));
    let mut call = core.send("get_status", "{}".into(), timeout);
    assert!(poll_once(&mut call).is_pending());
    (call, queue)
}

#[tokio::test]
async fn an_unsent_call_still_times_out_while_there_is_no_connection() {
    let core = core_without_events();
    let (call, queue) = one_call_queued(&core, Duration::from_millis(50));
    core.end_with(&ConnEnd::Lost("reset".into()), Some(queue));
    match call.await {
        Err(Error::Transport { source, .. }) => {
            let text = source.to_string();
            assert!(text.contains("so the call was not sent"), "{text}");
            assert!(text.contains("reset"), "{text}");
        }
        other => panic!("expected the not-sent error, got {other:?}"),
    }
    assert_eq!(core.pending_count(), 0);
}

#[tokio::test]
async fn an_unsent_call_gets_the_auth_error_when_the_token_was_refused() {
    let core = core_without_events();
    let (mut call, queue) = one_call_queued(&core, Duration::from_secs(3600));
    core.end_with(&ConnEnd::AuthRefused("token验证失败".into()), Some(queue));
    let Poll::Ready(Err(Error::Auth { message, .. })) = poll_once(&mut call) else {
        panic!("the call did not end with the refusal");
    };
    assert_eq!(message, "token验证失败");
}

#[test]
fn a_request_frame_is_the_params_action_and_echo_as_json() {
    let frame = request_frame("get_login_info", r#"{"no_cache":true}"#, 42);
    let value: serde_json::Value = serde_json::from_str(&frame).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"action": "get_login_info", "params": {"no_cache": true}, "echo": 42})
    );
    // An action name that JSON must escape is escaped.
    let frame = request_frame("odd\"name\\", "{}", 7);
    let value: serde_json::Value = serde_json::from_str(&frame).unwrap();
    assert_eq!(value["action"], "odd\"name\\");
    assert_eq!(frame.len(), frame.capacity());
}

#[test]
fn a_request_frame_fills_its_buffer_exactly() {
    for echo in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
        let frame = request_frame("get_status", "{}", echo);
        assert_eq!(frame.len(), frame.capacity(), "echo {echo}: {frame}");
        assert!(frame.ends_with(&format!(",\"echo\":{echo}}}")));
    }
}

/// A frame several read chunks long arrives whole, and one over the reply limit is refused:
/// the chunk bounds each read from the socket, not what a frame may hold.
#[tokio::test]
async fn frames_longer_than_a_read_chunk_arrive_whole_within_the_reply_limit() {
    use crate::transport::ws::connection::{READ_CHUNK, socket_config};
    use tokio_tungstenite::tungstenite::protocol::Role;
    let limit = 8 * READ_CHUNK;
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let mut ours =
        WebSocketStream::from_raw_socket(ours, Role::Client, Some(socket_config(limit))).await;
    let mut theirs = WebSocketStream::from_raw_socket(theirs, Role::Server, None).await;
    let long: String = (0..5 * READ_CHUNK + 7)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let sent = long.clone();
    let server = tokio::spawn(async move {
        theirs.send(Message::text(sent)).await.unwrap();
        theirs
            .send(Message::text("x".repeat(limit + 1)))
            .await
            .unwrap();
        theirs
    });
    let Some(Ok(Message::Text(got))) = ours.next().await else {
        panic!("the long frame did not arrive");
    };
    assert_eq!(got.as_str(), long);
    match ours.next().await {
        Some(Err(e)) => assert!(e.to_string().contains("too long"), "{e}"),
        other => panic!("a frame over the limit was not refused: {other:?}"),
    }
    drop(server);
}
