//! NapCat's WebSocket protocol: the forward server and the reverse dialer share one
//! connection handler. Frames are handled concurrently, so replies come in any order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::http::Envelope;
use crate::state::{Failure, Reply};
use crate::{Cut, Fault, Shared};

/// NapCat's forward WebSocket server runs one heartbeat timer for all its event clients: it
/// starts when the first one connects and stops when the last one leaves, so a client that
/// joins later gets its first beat at the shared timer's next tick, possibly early
/// (network/websocket-server.ts, `startHeartbeat`). Reverse connections each have their own.
#[derive(Debug, Default)]
pub(crate) struct SharedBeat {
    state: Mutex<BeatState>,
}

#[derive(Debug, Default)]
struct BeatState {
    clients: usize,
    ticks: Option<(broadcast::Sender<()>, tokio::task::JoinHandle<()>)>,
}

/// An event client's share of the server's heartbeat timer; leaving drops it.
pub(crate) struct BeatSubscription {
    shared: Arc<Shared>,
    pub(crate) ticks: broadcast::Receiver<()>,
}

impl SharedBeat {
    fn join(shared: &Arc<Shared>) -> BeatSubscription {
        let mut state = crate::lock(&shared.beats.state);
        state.clients += 1;
        let every = shared.heartbeat;
        let (tx, _) = state.ticks.get_or_insert_with(|| {
            let (tx, _) = broadcast::channel(4);
            let sender = tx.clone();
            let task = tokio::spawn(async move {
                let mut beat = tokio::time::interval(every);
                beat.tick().await;
                loop {
                    beat.tick().await;
                    let _ = sender.send(());
                }
            });
            (tx, task)
        });
        BeatSubscription {
            shared: shared.clone(),
            ticks: tx.subscribe(),
        }
    }
}

impl Drop for BeatSubscription {
    fn drop(&mut self) {
        let mut state = crate::lock(&self.shared.beats.state);
        state.clients = state.clients.saturating_sub(1);
        if state.clients == 0
            && let Some((_, task)) = state.ticks.take()
        {
            task.abort();
        }
    }
}

/// What a connection handler sends out.
enum Out {
    Frame(String),
    /// Close the connection (1001, going away) for this reason, and stop.
    Close(&'static str),
    /// The client closed: send the close reply the library queued (its own code back, as
    /// NapCat's `ws` answers a close) and stop.
    CloseReply,
}

/// The close reason of a fault's scripted close.
const SCRIPTED_CLOSE: &str = "scripted close";
/// The close reason when the connection fell too many events behind.
const FELL_BEHIND: &str = "too many events waiting for this connection";

pub(crate) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut path = String::new();
            let mut query_token = None;
            let mut header_token = None;
            // The signature is tungstenite's `Callback`; its error type is not ours to shrink.
            #[allow(clippy::result_large_err)]
            let capture = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
                path = req.uri().path().to_owned();
                // Percent-decoded, as `URL.searchParams.get` gives it to NapCat.
                query_token = req.uri().query().and_then(|q| {
                    form_urlencoded::parse(q.as_bytes())
                        .find(|(k, _)| k == "access_token")
                        .map(|(_, v)| v.into_owned())
                });
                header_token = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                Ok(resp)
            };
            let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, capture).await else {
                return;
            };
            let authorised = shared.token_ok(query_token.as_deref(), header_token.as_deref());
            let events = !(path == "/api" || path == "/api/");
            serve(shared, ws, events, authorised, "ws").await;
        });
    }
}

/// How long NapCat's reverse WebSocket waits for the bot's handshake (websocket-client.ts
/// `handshakeTimeout`).
const REVERSE_HANDSHAKE: Duration = Duration::from_secs(2);

/// Dials a bot's reverse WebSocket endpoint as NapCat's `websocketClients` do: serves the
/// connection, and after it ends or an attempt fails waits `reconnect` and dials again, until
/// the simulator stops. Events pushed while no connection is open are not kept, as there.
pub(crate) async fn keep_dialing(
    shared: Arc<Shared>,
    url: String,
    token: Option<String>,
    reconnect: Duration,
) {
    let mut stop = shared.shutdown.subscribe();
    loop {
        let ended = tokio::select! {
            ended = dial_reverse(shared.clone(), url.clone(), token.clone()) => ended,
            _ = stop.wait_for(|s| *s) => return,
        };
        match ended {
            Ok(()) => tracing::info!(%url, ?reconnect, "reverse WebSocket closed; dialing again"),
            Err(e) => {
                tracing::warn!(%url, error = %e, ?reconnect, "reverse WebSocket failed; dialing again")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(reconnect) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Dials a bot's reverse WebSocket endpoint as NapCat does (giving up on a handshake that
/// takes longer than NapCat waits) and serves it.
pub(crate) async fn dial_reverse(
    shared: Arc<Shared>,
    url: String,
    token: Option<String>,
) -> Result<(), String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = url.into_client_request().map_err(|e| e.to_string())?;
    let self_id = crate::lock(&shared.state).self_id().to_string();
    let headers = req.headers_mut();
    let mut put = |k: &'static str, v: String| {
        if let Ok(v) = v.parse() {
            headers.insert(k, v);
        }
    };
    put("x-self-id", self_id);
    put("x-client-role", "Universal".into());
    put("user-agent", "OneBot/11".into());
    if let Some(t) = token {
        put("authorization", format!("Bearer {t}"));
    }
    let (ws, _) = tokio::time::timeout(REVERSE_HANDSHAKE, tokio_tungstenite::connect_async(req))
        .await
        .map_err(|_| format!("no handshake within {REVERSE_HANDSHAKE:?}"))?
        .map_err(|e| e.to_string())?;
    serve(shared, ws, true, true, "ws-reverse").await;
    Ok(())
}

async fn serve<S>(
    shared: Arc<Shared>,
    ws: WebSocketStream<S>,
    events: bool,
    authorised: bool,
    transport: &'static str,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    shared.ws_connected();
    let (mut sink, mut stream) = ws.split();
    if !authorised {
        let env = Envelope::failed(1403, "token验证失败", Value::Null);
        let _ = sink
            .send(Message::Text(
                serde_json::to_string(&env).unwrap_or_default().into(),
            ))
            .await;
        let _ = sink.close().await;
        return;
    }
    let (tx, mut rx) = mpsc::channel::<Out>(1024);
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let sent = match out {
                Out::Frame(text) => sink.send(Message::Text(text.into())).await,
                Out::Close(reason) => {
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame {
                            code: CloseCode::Away,
                            reason: reason.into(),
                        })))
                        .await;
                    break;
                }
                Out::CloseReply => {
                    let _ = sink.close().await;
                    break;
                }
            };
            if sent.is_err() {
                break;
            }
        }
    });
    let pusher = events.then(|| {
        let tx = tx.clone();
        let shared = shared.clone();
        // Subscribed before anything else runs, so no event pushed from now on is missed.
        let mut pushed = shared.events.subscribe();
        let counted = crate::subscriber::Counted::new(shared.clone());
        tokio::spawn(async move {
            let _counted = counted;
            let self_id = crate::lock(&shared.state).self_id();
            let lifecycle = json!({"time": now(), "self_id": self_id, "post_type": "meta_event", "meta_event_type": "lifecycle", "sub_type": "connect"});
            let _ = tx.send(Out::Frame(lifecycle.to_string())).await;
            // Forward connections share the server's timer; a reverse connection has its own.
            let mut shared_beat = (transport == "ws").then(|| SharedBeat::join(&shared));
            let mut own_beat = tokio::time::interval(shared.heartbeat);
            own_beat.tick().await;
            loop {
                let tick = async {
                    match &mut shared_beat {
                        Some(sub) => {
                            let _ = sub.ticks.recv().await;
                        }
                        None => {
                            own_beat.tick().await;
                        }
                    }
                };
                let frame = tokio::select! {
                    _ = tick => json!({"time": now(), "self_id": self_id, "post_type": "meta_event", "meta_event_type": "heartbeat", "status": {"online": true, "good": true}, "interval": shared.heartbeat.as_millis() as u64}),
                    ev = pushed.recv() => match ev {
                        Some(ev) => ev,
                        // The connection fell too far behind (logged): it is closed.
                        None => {
                            let _ = tx.send(Out::Close(FELL_BEHIND)).await;
                            break;
                        }
                    },
                };
                if tx.send(Out::Frame(frame.to_string())).await.is_err() {
                    break;
                }
            }
        })
    });
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let msg = tokio::select! {
            m = stream.next() => m,
            _ = shutdown.wait_for(|stop| *stop) => None,
        };
        let Some(Ok(msg)) = msg else { break };
        let text = match msg {
            Message::Text(t) => t.as_str().to_owned(),
            Message::Close(_) => {
                let _ = tx.send(Out::CloseReply).await;
                break;
            }
            _ => continue,
        };
        let shared = shared.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match handle_frame(&shared, &text, transport).await {
                Some(Answered::Frame(out)) => {
                    let _ = tx.send(out).await;
                }
                Some(Answered::Packets { packets, echo, cut }) => {
                    send_packets(&tx, packets, echo, cut).await
                }
                None => {}
            }
        });
    }
    if let Some(p) = pusher {
        p.abort();
    }
    drop(tx);
    let _ = writer.await;
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What one request frame is answered with.
enum Answered {
    /// One frame (or a scripted close).
    Frame(Out),
    /// A stream action's envelopes, sent one frame each as they are made.
    Packets {
        packets: crate::state::Packets,
        echo: Value,
        cut: Option<Cut>,
    },
}

/// Sends a stream action's envelopes with the request's echo, stopping after a failure or
/// where a scripted `cut` says. Each waits for room in the connection's queue, so a client
/// that stops reading holds the stream up.
async fn send_packets(
    tx: &mpsc::Sender<Out>,
    packets: crate::state::Packets,
    echo: Value,
    cut: Option<Cut>,
) {
    for (sent, item) in packets.envelopes().enumerate() {
        match cut {
            Some(Cut::Break(n)) if n == sent => {
                let _ = tx.send(Out::Close(SCRIPTED_CLOSE)).await;
                return;
            }
            Some(Cut::Stall(n)) if n == sent => return,
            _ => {}
        }
        let env = Envelope::packet(&item, 1200, echo.clone());
        let text = serde_json::to_string(&env).unwrap_or_default();
        if tx.send(Out::Frame(text)).await.is_err() || item.is_err() {
            return;
        }
    }
}

async fn handle_frame(shared: &Shared, text: &str, transport: &'static str) -> Option<Answered> {
    let frame = |env: &Envelope| {
        Some(Answered::Frame(Out::Frame(
            serde_json::to_string(env).unwrap_or_default(),
        )))
    };
    let Some(Value::Object(mut req)) = crate::parse_json5(text.as_bytes()) else {
        return frame(&Envelope::failed(
            1400,
            "json解析失败,请检查数据格式",
            Value::Null,
        ));
    };
    let echo = req.remove("echo");
    let action = req
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    // NapCat: a missing or falsy `params` is `{}`; anything else goes to the schema check.
    let params = match req.remove("params") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Value::Object(Map::new()),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Value::Object(Map::new()),
        Some(Value::String(s)) if s.is_empty() => Value::Object(Map::new()),
        Some(p) => p,
    };
    let call = shared.record(&action, &params, transport);
    let mut cut = None;
    match shared.next_fault(&action) {
        Some(Fault::Raw { body, .. }) => return Some(Answered::Frame(Out::Frame(body))),
        Some(Fault::Envelope(mut env)) => {
            if let (Value::Object(m), Some(e)) = (&mut env, &echo) {
                m.entry("echo").or_insert_with(|| e.clone());
            }
            return Some(Answered::Frame(Out::Frame(env.to_string())));
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Hang) => return None,
        Some(Fault::CloseConnection) => return Some(Answered::Frame(Out::Close(SCRIPTED_CLOSE))),
        Some(Fault::BreakStream { after }) => cut = Some(Cut::Break(after)),
        Some(Fault::StallStream { after }) => cut = Some(Cut::Stall(after)),
        None => {}
    }
    shared.jitter().await;
    // NapCat answers with `echo ?? ''`: a missing or null echo comes back as "".
    let reply_echo = match &echo {
        None | Some(Value::Null) => Value::String(String::new()),
        Some(e) => e.clone(),
    };
    let answer = shared.run(call, &action, &params);
    let streamed = answer.stream_action;
    match answer.outcome {
        Ok(Reply::Data(data)) => frame(&Envelope::ok(data, reply_echo).streamed(streamed)),
        Ok(Reply::Packets(packets)) => Some(Answered::Packets {
            packets,
            echo: reply_echo,
            cut,
        }),
        Err(Failure::Schema(msg)) => {
            frame(&Envelope::failed(1400, &msg, reply_echo).streamed(streamed))
        }
        Err(Failure::Handler(msg)) => {
            frame(&Envelope::failed(1200, &msg, reply_echo).streamed(streamed))
        }
        Err(Failure::Unknown(name)) => {
            let text = if transport == "ws-reverse" {
                format!("不支持的Api {name}")
            } else {
                format!("不支持的API {name}")
            };
            frame(&Envelope::failed(1404, &text, echo.unwrap_or(Value::Null)))
        }
    }
}

/// How long a scripted-jitter reply waits: a pseudo-random share of `max`.
pub(crate) fn jitter_delay(max: Duration, seed: u64) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    let x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    max.mul_f64((x % 10_000) as f64 / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NapCat's one timer per server: a client that joins between two ticks gets its first beat
    /// at the shared timer's next tick, before a timer of its own would fire; the timer stops
    /// when the last client leaves and starts afresh with the next one.
    #[tokio::test(start_paused = true)]
    async fn event_clients_share_one_heartbeat_timer() {
        let shared = crate::Shared::new(None, crate::Seed::default(), Duration::from_millis(1000));
        let mut a = SharedBeat::join(&shared);
        tokio::time::sleep(Duration::from_millis(700)).await;
        let mut b = SharedBeat::join(&shared);
        let joined = tokio::time::Instant::now();
        b.ticks.recv().await.unwrap();
        assert_eq!(
            joined.elapsed(),
            Duration::from_millis(300),
            "B's first beat is early"
        );
        a.ticks.recv().await.unwrap();
        drop((a, b));
        assert!(
            crate::lock(&shared.beats.state).ticks.is_none(),
            "the timer stopped"
        );
        let mut c = SharedBeat::join(&shared);
        let joined = tokio::time::Instant::now();
        c.ticks.recv().await.unwrap();
        assert_eq!(joined.elapsed(), Duration::from_millis(1000));
    }
}
