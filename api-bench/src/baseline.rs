//! What a careful person writes by hand, to compare the generated client against.
//!
//! The fields mirror NapCat's wire shapes one to one, by name, as the spec's types document
//! them; restating each field's doc here would only copy the spec.
#![allow(missing_docs)]

use serde::Deserialize;
use serde_json::Value;

/// NapCat's envelope, decoded in one go.
#[derive(Deserialize)]
pub struct Envelope<T> {
    /// `ok` or `failed`.
    pub status: String,
    /// 0 on success.
    pub retcode: i64,
    /// The result.
    pub data: T,
}

/// A friend, with the fields the spec's `Friend` lists.
#[derive(Deserialize)]
pub struct Friend {
    pub user_id: i64,
    pub nickname: String,
    pub remark: Option<String>,
    pub sex: Option<String>,
    pub level: Option<i64>,
    pub age: Option<i64>,
    pub birthday_year: Option<i64>,
    pub birthday_month: Option<i64>,
    pub birthday_day: Option<i64>,
    pub phone_num: Option<String>,
    pub email: Option<String>,
    pub category_id: Option<i64>,
    pub qid: Option<String>,
    pub login_days: Option<i64>,
}

/// A recent contact, with the fields the spec's `RecentContact` lists.
#[derive(Deserialize)]
#[allow(non_snake_case)]
pub struct RecentContact {
    pub peerUin: String,
    pub peerName: Option<String>,
    pub remark: Option<String>,
    pub chatType: Option<i64>,
    pub msgTime: Option<String>,
    pub msgId: Option<String>,
    pub sendNickName: Option<String>,
    pub sendMemberName: Option<String>,
    pub lastestMsg: Option<Value>,
}

/// `get_login_info`'s data.
#[derive(Deserialize)]
pub struct LoginInfo {
    pub user_id: i64,
    pub nickname: String,
}

/// The least code that matches WebSocket replies to calls by echo.
pub mod raw_ws {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use bytes::Bytes;
    use futures_util::{SinkExt, StreamExt};
    use serde::Deserialize;
    use tokio::io::{AsyncRead, AsyncWrite};
    use tokio::sync::{mpsc, oneshot};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;

    type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Bytes>>>>;

    /// A raw client: one writer task, one reader task, a map of echoes.
    #[derive(Clone)]
    pub struct RawWs {
        tx: mpsc::Sender<Message>,
        pending: Pending,
        next: Arc<AtomicU64>,
    }

    #[derive(Deserialize)]
    struct Echo {
        echo: u64,
    }

    impl RawWs {
        /// Connects to `url`, with `TCP_NODELAY` set or not (tokio-tungstenite's default is
        /// not: Nagle's algorithm on).
        pub async fn connect(url: &str, nodelay: bool) -> RawWs {
            let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, nodelay)
                .await
                .expect("connect");
            RawWs::over(ws)
        }

        /// Listens on loopback as a reverse WebSocket server and hands out a raw client for
        /// each connection accepted, in the order they come; `TCP_NODELAY` is set on each, as
        /// a `ReverseServer` does by default.
        pub async fn listen() -> (std::net::SocketAddr, mpsc::UnboundedReceiver<RawWs>) {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    stream.set_nodelay(true).expect("TCP_NODELAY");
                    if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                        let _ = tx.send(RawWs::over(ws));
                    }
                }
            });
            (addr, rx)
        }

        /// A raw client over a connection already open (dialled or accepted).
        pub fn over<S>(ws: WebSocketStream<S>) -> RawWs
        where
            S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        {
            let (mut sink, mut stream) = ws.split();
            let (tx, mut rx) = mpsc::channel::<Message>(1024);
            tokio::spawn(async move {
                while let Some(m) = rx.recv().await {
                    if sink.send(m).await.is_err() {
                        return;
                    }
                }
            });
            let pending: Pending = Arc::default();
            let map = pending.clone();
            tokio::spawn(async move {
                while let Some(Ok(Message::Text(t))) = stream.next().await {
                    let bytes: Bytes = t.into();
                    if let Ok(e) = serde_json::from_slice::<Echo>(&bytes)
                        && let Some(tx) = map.lock().unwrap().remove(&e.echo)
                    {
                        let _ = tx.send(bytes);
                    }
                }
            });
            RawWs {
                tx,
                pending,
                next: Arc::default(),
            }
        }

        /// Sends one call and returns the reply frame.
        pub async fn call(&self, action: &str, params: &str) -> Bytes {
            let echo = self.next.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = oneshot::channel();
            self.pending.lock().unwrap().insert(echo, tx);
            let frame = format!(r#"{{"action":"{action}","params":{params},"echo":{echo}}}"#);
            self.tx
                .send(Message::Text(frame.into()))
                .await
                .expect("send");
            rx.await.expect("reply")
        }
    }
}

/// A group message event decoded by hand: a plain struct, segments as serde's adjacently
/// tagged enum with the fields a bot reads.
pub mod event {
    use serde::Deserialize;
    use serde_json::Value;

    #[derive(Deserialize)]
    pub struct GroupMessage {
        pub time: i64,
        pub self_id: i64,
        pub post_type: String,
        pub message_type: String,
        pub sub_type: String,
        pub message_id: i64,
        pub message_seq: i64,
        pub real_id: i64,
        pub real_seq: String,
        pub user_id: i64,
        pub group_id: i64,
        pub group_name: String,
        pub sender: Sender,
        pub message: Vec<Segment>,
        pub message_format: String,
        pub raw_message: String,
        pub font: i64,
    }

    #[derive(Deserialize)]
    pub struct Sender {
        pub user_id: i64,
        pub nickname: String,
        pub card: String,
        pub role: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(tag = "type", content = "data", rename_all = "lowercase")]
    pub enum Segment {
        Text {
            text: String,
        },
        At {
            qq: String,
        },
        Reply {
            id: String,
        },
        Face {
            id: String,
            raw: Option<Value>,
        },
        Image {
            file: String,
            summary: Option<String>,
            sub_type: Option<i64>,
            url: Option<String>,
            file_size: Option<String>,
        },
    }
}
