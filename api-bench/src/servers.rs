//! Loopback servers that answer instantly with canned NapCat replies, and one that never
//! answers (for memory per pending call).

use std::net::SocketAddr;

use axum::Router;
use axum::http::{Uri, header};
use axum::response::IntoResponse;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The canned `data` for an action (`None`: the key is absent, as NapCat sends for `send_like`).
pub fn canned_data(action: &str) -> Option<&'static str> {
    match action {
        "get_login_info" => Some(r#"{"user_id":10001,"nickname":"bench"}"#),
        "get_status" => Some(r#"{"online":true,"good":true,"stat":{}}"#),
        _ => None,
    }
}

fn reply(action: &str, echo: &str) -> String {
    match canned_data(action) {
        Some(d) => format!(
            r#"{{"status":"ok","retcode":0,"data":{d},"message":"","wording":"","echo":{echo},"stream":"normal-action"}}"#
        ),
        None => format!(
            r#"{{"status":"ok","retcode":0,"message":"","wording":"","echo":{echo},"stream":"normal-action"}}"#
        ),
    }
}

/// An HTTP server answering `POST /{action}` at once.
pub async fn http() -> SocketAddr {
    async fn answer(uri: Uri) -> impl IntoResponse {
        let action = uri.path().trim_start_matches('/');
        (
            [(header::CONTENT_TYPE, "application/json")],
            reply(action, "null"),
        )
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, Router::new().fallback(answer)).await });
    addr
}

#[derive(Deserialize)]
struct Request<'a> {
    action: &'a str,
    #[serde(borrow)]
    echo: &'a RawValue,
}

/// A WebSocket server answering every request frame at once, echo copied.
/// With `answer == false` it reads requests and never answers.
pub async fn ws(answer: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                    serve_requests(ws, answer).await;
                }
            });
        }
    });
    addr
}

/// NapCat's side of `accounts` reverse WebSocket connections: each dials `url` with its own
/// `X-Self-ID` (10001, 10002, …) and answers every request at once, as [`ws`] does.
pub async fn napcat_accounts(url: &str, accounts: usize) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    for n in 0..accounts {
        let mut request = url.into_client_request().expect("url");
        let headers = request.headers_mut();
        headers.insert("X-Self-ID", (10_001 + n).to_string().parse().expect("id"));
        headers.insert("x-client-role", "Universal".parse().expect("role"));
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("dial the reverse server");
        tokio::spawn(serve_requests(ws, true));
    }
}

/// Reads request frames from `ws` and, with `answer`, answers each at once, echo copied:
/// replies queued meanwhile are written together and flushed once.
async fn serve_requests<S>(ws: tokio_tungstenite::WebSocketStream<S>, answer: bool)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut next = Some(first);
            while let Some(text) = next {
                if sink.feed(Message::Text(text.into())).await.is_err() {
                    return;
                }
                next = rx.try_recv().ok();
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    while let Some(Ok(frame)) = stream.next().await {
        // Pings are answered by the library.
        let Message::Text(t) = frame else { continue };
        if !answer {
            continue;
        }
        if let Ok(req) = serde_json::from_str::<Request>(t.as_str()) {
            let _ = tx.send(reply(req.action, req.echo.get()));
        }
    }
}

/// A WebSocket server that, on each connection, sends a lifecycle event, and on the first
/// request answers it and then pushes every frame of `events` as fast as it can.
pub async fn event_pusher(events: std::sync::Arc<Vec<String>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let events = events.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let lifecycle = r#"{"time":1,"self_id":1,"post_type":"meta_event","meta_event_type":"lifecycle","sub_type":"connect"}"#;
                if ws.send(Message::Text(lifecycle.into())).await.is_err() {
                    return;
                }
                while let Some(Ok(frame)) = ws.next().await {
                    let Message::Text(t) = frame else { continue };
                    let Ok(req) = serde_json::from_str::<Request>(t.as_str()) else {
                        continue;
                    };
                    let answer = reply(req.action, req.echo.get());
                    if ws.feed(Message::Text(answer.into())).await.is_err() {
                        return;
                    }
                    for e in events.iter() {
                        if ws.feed(Message::Text(e.as_str().into())).await.is_err() {
                            return;
                        }
                    }
                    if ws.flush().await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}
