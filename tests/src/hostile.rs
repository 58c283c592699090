//! Servers that misbehave on purpose, for faults the simulator does not produce: resets in
//! the middle of a body, invalid UTF-8, chosen close codes, a 502 page on upgrade.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// Resets the connection (RST, not FIN) so the peer sees it broken.
#[allow(deprecated)] // SO_LINGER 0 only makes drop send RST; it does not block.
fn reset_now(stream: TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// An HTTP server whose first reply is the raw bytes `first` (then a reset if `reset`, else
/// a normal close); every later request gets a proper `get_status` envelope.
pub async fn http_faulty_once(first: &'static [u8], reset: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut served = 0usize;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0; 64 * 1024];
            let _ = stream.read(&mut buf).await;
            if served == 0 {
                let _ = stream.write_all(first).await;
                let _ = stream.flush().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                if reset {
                    reset_now(stream);
                }
            } else {
                let body = r#"{"status":"ok","retcode":0,"data":{"online":true,"good":true},"message":"","wording":""}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            }
            served += 1;
        }
    });
    addr
}

/// A server that answers a WebSocket upgrade with an HTTP status and an HTML page, as a
/// proxy in front of a stopped NapCat does.
pub async fn ws_upgrade_refused(status_line: &'static str, html: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0; 8 * 1024];
            let _ = stream.read(&mut buf).await;
            let reply = format!(
                "{status_line}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    addr
}

/// What a hostile WebSocket server does in answer to one request.
#[derive(Debug, Clone)]
pub enum WsMove {
    /// Send a text frame.
    Text(String),
    /// Send a text frame whose payload is these raw bytes (may be invalid UTF-8).
    RawText(Vec<u8>),
    /// Close with this code.
    Close(u16),
    /// Reset the TCP connection without a close frame.
    Abort,
}

/// A WebSocket server that answers each request frame with the moves `script` returns for
/// (connection number from 0, request). Returns its address and a connection counter.
pub async fn hostile_ws<F>(script: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(usize, &Value) -> Vec<WsMove> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let script = Arc::new(script);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let script = script.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(frame)) = ws.next().await {
                    // Pings are answered by the library; only requests get the script.
                    let Message::Text(t) = frame else { continue };
                    let req: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    for m in script(n, &req) {
                        match m {
                            WsMove::Text(s) => {
                                let _ = ws.send(Message::Text(s.into())).await;
                            }
                            WsMove::RawText(bytes) => {
                                // An unmasked server text frame, written below the library.
                                let mut frame = vec![0x81, bytes.len() as u8];
                                frame.extend_from_slice(&bytes);
                                let _ = ws.flush().await;
                                let _ = ws.get_mut().write_all(&frame).await;
                            }
                            WsMove::Close(code) => {
                                let _ = ws
                                    .send(Message::Close(Some(CloseFrame {
                                        code: code.into(),
                                        reason: "hostile".into(),
                                    })))
                                    .await;
                                return;
                            }
                            WsMove::Abort => {
                                reset_now(ws.into_inner());
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    (addr, count)
}

/// A NapCat-shaped success reply to `req` with `data`.
pub fn ok_reply(req: &Value, data: Value) -> String {
    serde_json::json!({"status": "ok", "retcode": 0, "data": data, "message": "", "wording": "", "echo": req["echo"]})
        .to_string()
}

/// `n` connections to a server that each send `head`, the start of a request, and hold it
/// unfinished (slowloris).
pub async fn half_sent(addr: SocketAddr, head: &[u8], n: usize) -> Vec<TcpStream> {
    let mut held = Vec::new();
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(head)
            .await
            .expect("write the start of a request");
        held.push(s);
    }
    held
}

/// Whether the server closed `s` within `patience`: reading it reaches the end (or a reset).
pub async fn closed_by_server(s: &mut TcpStream, patience: Duration) -> bool {
    let mut rest = Vec::new();
    tokio::time::timeout(patience, s.read_to_end(&mut rest))
        .await
        .is_ok()
}
