//! The server of the peer benchmark: the least a tokio-tungstenite server does. One task per
//! connection reads a frame and sends the reply (written and flushed) before it reads the next.
//!
//! For HTTP, an axum server answers `POST /<action>` with the same reply (echo `null`).
//!
//! It prints its two URLs (`ws://127.0.0.1:<port>`, then `http://127.0.0.1:<port>`) and serves
//! until its standard input closes.
//! Any path is accepted (kovi dials `/api` and `/event`). The reply carries `message` and
//! `wording` (runbot refuses a reply without them) and copies `echo` unchanged, as raw JSON
//! (kovi, runbot and onebot-api send strings, the others numbers).
//! `TCP_NODELAY` is left off on accepted sockets unless `NODELAY=1`.

use axum::Router;
use axum::http::{Uri, header};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// NapCat's reply to `action`, `echo` copied in as it came.
fn reply(action: &str, echo: &str) -> String {
    match action {
        "get_login_info" => format!(
            r#"{{"status":"ok","retcode":0,"data":{{"user_id":10001,"nickname":"bench"}},"message":"","wording":"","echo":{echo}}}"#
        ),
        _ => format!(
            r#"{{"status":"failed","retcode":1404,"data":null,"message":"unknown action","wording":"unknown action","echo":{echo}}}"#
        ),
    }
}

#[derive(Deserialize)]
struct Request<'a> {
    action: &'a str,
    #[serde(borrow)]
    echo: Option<&'a RawValue>,
}

#[tokio::main]
async fn main() {
    let nodelay = std::env::var("NODELAY").as_deref() == Ok("1");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("ws://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(nodelay).expect("set TCP_NODELAY");
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(frame)) = ws.next().await {
                    let Message::Text(text) = frame else { continue };
                    let Ok(request) = serde_json::from_str::<Request>(text.as_str()) else {
                        continue;
                    };
                    let echo = request.echo.map_or("null", RawValue::get);
                    let answer = reply(request.action, echo);
                    if ws.send(Message::Text(answer.into())).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let http = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("http://{}", http.local_addr().expect("address"));
    let answer = |uri: Uri| async move {
        let action = uri.path().trim_start_matches('/').to_owned();
        (
            [(header::CONTENT_TYPE, "application/json")],
            reply(&action, "null"),
        )
    };
    tokio::spawn(async move { axum::serve(http, Router::new().fallback(answer)).await });
    // Serve until the runner closes our standard input.
    let _ = tokio::task::spawn_blocking(|| {
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new())
    })
    .await;
}
