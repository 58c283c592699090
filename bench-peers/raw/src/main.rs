//! The least code that matches replies by echo over tokio-tungstenite: a writer task fed by a
//! channel, a reader task that hands each reply to its caller through a map of echoes.
//! `TCP_NODELAY` is tokio-tungstenite's default (off) unless `NODELAY=1`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use common::{Args, LoginInfoReply};

#[derive(Deserialize)]
struct Echo {
    echo: u64,
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Utf8Bytes>>>>;

#[tokio::main]
async fn main() {
    let args = Args::from_env();
    let (ws, _) =
        tokio_tungstenite::connect_async_with_config(&args.url, None, Args::nodelay(false))
            .await
            .expect("connect");
    let (mut sink, mut stream) = ws.split();
    let (queue, mut frames) = mpsc::channel::<Message>(1024);
    tokio::spawn(async move {
        while let Some(frame) = frames.recv().await {
            if sink.send(frame).await.is_err() {
                return;
            }
        }
    });
    let pending: Pending = Arc::default();
    let map = pending.clone();
    tokio::spawn(async move {
        while let Some(Ok(Message::Text(text))) = stream.next().await {
            if let Ok(reply) = serde_json::from_str::<Echo>(text.as_str())
                && let Some(caller) = map.lock().unwrap().remove(&reply.echo)
            {
                let _ = caller.send(text);
            }
        }
    });
    let client = Raw {
        queue,
        pending,
        echoes: Arc::new(AtomicU64::new(0)),
    };
    common::drive(&args, client, |raw| async move {
        let echo = raw.echoes.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        raw.pending.lock().unwrap().insert(echo, tx);
        let frame = format!(r#"{{"action":"get_login_info","params":{{}},"echo":{echo}}}"#);
        let queued = raw.queue.send(Message::Text(frame.into())).await;
        queued.expect("writer gone");
        let text = rx.await.expect("reply");
        let reply: LoginInfoReply = serde_json::from_str(text.as_str()).expect("decode");
        assert_eq!(reply.retcode, 0);
        reply.data.user_id
    })
    .await
}

/// What a call needs: the writer's queue, the callers waiting by echo, the next echo.
#[derive(Clone)]
struct Raw {
    queue: mpsc::Sender<Message>,
    pending: Pending,
    echoes: Arc<AtomicU64>,
}
