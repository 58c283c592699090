//! NapCat's HTTP server: any method, the action is the first path segment.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::state::{Failure, Reply};
use crate::{Cut, Fault, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// NapCat's envelope, in NapCat's key order; `data: None` leaves the key out.
#[derive(Serialize)]
pub(crate) struct Envelope<'a> {
    pub status: &'a str,
    pub retcode: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    pub message: &'a str,
    pub wording: &'a str,
    pub echo: Value,
    pub stream: &'a str,
}

impl Envelope<'_> {
    pub(crate) fn ok(data: Option<Value>, echo: Value) -> Envelope<'static> {
        Envelope {
            status: "ok",
            retcode: 0,
            data,
            message: "",
            wording: "",
            echo,
            stream: "normal-action",
        }
    }

    pub(crate) fn failed(retcode: i64, message: &str, echo: Value) -> Envelope<'_> {
        Envelope {
            status: "failed",
            retcode,
            data: Some(Value::Null),
            message,
            wording: message,
            echo,
            stream: "normal-action",
        }
    }

    /// Marked as a stream action's (`OB11Response.createResponse` with `useStream`): a
    /// failure's `data` becomes `{type: "error", data_type: "error"}`.
    pub(crate) fn streamed(mut self, stream_action: bool) -> Self {
        if stream_action {
            self.stream = "stream-action";
            if self.status == "failed" {
                self.data = Some(serde_json::json!({"type": "error", "data_type": "error"}));
            }
        }
        self
    }

    /// One packet of a stream (`Ok`) or the failure that ends it, as NapCat sends it.
    pub(crate) fn packet<'a>(
        item: &'a Result<Value, Failure>,
        retcode: i64,
        echo: Value,
    ) -> Envelope<'a> {
        match item {
            Ok(data) => Envelope::ok(Some(data.clone()), echo),
            Err(Failure::Schema(m) | Failure::Handler(m) | Failure::Unknown(m)) => {
                Envelope::failed(retcode, m, echo)
            }
        }
        .streamed(true)
    }
}

/// What NapCat's HTTP server writes after each envelope of a stream action.
const ENVELOPE_END: &str = "\r\n\r\n";

/// A stream action's single envelope, written as NapCat writes it (`res.write` of the JSON
/// and `\r\n\r\n`, no content type).
fn stream_action_response(env: &Envelope) -> Response {
    let mut text = serde_json::to_string(env).unwrap_or_default();
    text.push_str(ENVELOPE_END);
    text.into_response()
}

/// A stream action's envelopes in one body, each followed by `\r\n\r\n`, made as the body
/// is read. A scripted `cut` breaks the body off, or stops it without ending it.
fn packets_response(packets: crate::state::Packets, echo: Value, cut: Option<Cut>) -> Response {
    let mut sent = 0;
    let mut ended = false;
    let envelopes = packets.envelopes().map_while(move |item| {
        if ended {
            return None;
        }
        match cut {
            Some(Cut::Break(n)) if n == sent => {
                ended = true;
                return Some(Err(std::io::Error::other("scripted break")));
            }
            Some(Cut::Stall(n)) if n == sent => return None,
            _ => {}
        }
        sent += 1;
        ended = item.is_err();
        let mut text =
            serde_json::to_string(&Envelope::packet(&item, 200, echo.clone())).unwrap_or_default();
        text.push_str(ENVELOPE_END);
        Some(Ok(Bytes::from(text)))
    });
    // Before a break, one pause lets the server flush what came before it, so the client
    // gets those envelopes and then the broken connection, as from a server that died.
    let body = futures_util::StreamExt::then(futures_util::stream::iter(envelopes), |item| async {
        if item.is_err() {
            tokio::task::yield_now().await;
        }
        item
    });
    match cut {
        Some(Cut::Stall(_)) => axum::body::Body::from_stream(futures_util::StreamExt::chain(
            body,
            futures_util::stream::pending(),
        ))
        .into_response(),
        _ => axum::body::Body::from_stream(body).into_response(),
    }
}

fn json_response(env: &Envelope) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(env).unwrap_or_default(),
    )
        .into_response()
}

fn random_echo() -> Value {
    static NEXT: AtomicU64 = AtomicU64::new(0x5eed);
    let n = NEXT.fetch_add(0x9e37_79b9, Ordering::Relaxed);
    let mut s = String::new();
    let mut v = n;
    while v > 0 {
        let d = (v % 36) as u32;
        s.push(char::from_digit(d, 36).unwrap_or('0'));
        v /= 36;
    }
    Value::String(s)
}

/// The query string's pairs, percent-decoded (`+` as a space), as Express's `req.query` gives
/// them to NapCat.
fn query_pairs(uri: &Uri) -> Map<String, Value> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// NapCat's SSE event stream (`httpSseServers`, packages/napcat-onebot/network/
/// http-server-sse.ts): `text/event-stream`, each event written as `data: <json>\n\n`, no
/// `event:`/`id:` lines, no keep-alive comments, no lifecycle or heartbeat.
fn sse_stream(shared: Arc<Shared>) -> Response {
    let mut subscriber = crate::subscriber::Subscriber::new(&shared);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::convert::Infallible>>(64);
    tokio::spawn(async move {
        // Ends with the simulator, so a stopped server does not keep the stream open.
        while let Some(event) = subscriber.next_non_meta().await {
            let frame = format!("data: {event}\n\n");
            if tx.send(Ok(Bytes::from(frame))).await.is_err() {
                break;
            }
        }
    });
    let body = axum::body::Body::from_stream(tokio_stream_from(rx));
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONNECTION, "keep-alive"),
        ],
        body,
    )
        .into_response()
}

/// A receiver as a `Stream`.
fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn handle(
    AxState(shared): AxState<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut query = query_pairs(&uri);
    let query_token = query
        .remove("access_token")
        .and_then(|v| v.as_str().map(str::to_owned));
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    if !shared.token_ok(query_token.as_deref(), auth) {
        return (
            StatusCode::FORBIDDEN,
            r#"{"message":"token verify failed!"}"#,
        )
            .into_response();
    }
    if uri.path() == "/_events" {
        return sse_stream(shared);
    }
    let action = uri.path().split('/').nth(1).unwrap_or("").to_owned();
    if action.is_empty() {
        return json_response(&Envelope {
            data: Some(Value::Object(Map::new())),
            message: "NapCat4 Is Running",
            wording: "NapCat4 Is Running",
            ..Envelope::ok(None, Value::Null)
        });
    }
    let mut payload = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match crate::parse_json5(&body) {
            Some(Value::Object(m)) => m,
            Some(_) | None => {
                return (StatusCode::BAD_REQUEST, "Invalid JSON").into_response();
            }
        }
    };
    payload.extend(query);
    let echo = payload.remove("echo").unwrap_or_else(random_echo);
    let params = Value::Object(payload.clone());
    let call = shared.record(&action, &params, "http");
    let mut cut = None;
    match shared.next_fault(&action) {
        Some(Fault::Raw { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, body).into_response();
        }
        Some(Fault::Envelope(env)) => {
            return (
                [(header::CONTENT_TYPE, "application/json")],
                env.to_string(),
            )
                .into_response();
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Hang | Fault::CloseConnection) => std::future::pending::<()>().await,
        Some(Fault::BreakStream { after }) => cut = Some(Cut::Break(after)),
        Some(Fault::StallStream { after }) => cut = Some(Cut::Stall(after)),
        None => {}
    }
    shared.jitter().await;
    let answer = shared.run(call, &action, &Value::Object(payload));
    // NapCat writes a stream action's reply (failures from its handler included) with
    // `res.write` and `\r\n\r\n`; everything else with `res.json`.
    let respond = |env: Envelope| match answer.stream_action {
        true => stream_action_response(&env),
        false => json_response(&env),
    };
    match answer.outcome {
        Ok(Reply::Data(data)) => respond(Envelope::ok(data, echo).streamed(answer.stream_action)),
        Ok(Reply::Packets(packets)) => packets_response(packets, echo, cut),
        // `handle()` builds this one without the echo or the stream marking.
        Err(Failure::Schema(msg)) => respond(Envelope::failed(400, &msg, Value::Null)),
        Err(Failure::Handler(msg)) => {
            respond(Envelope::failed(200, &msg, echo).streamed(answer.stream_action))
        }
        Err(Failure::Unknown(name)) => {
            json_response(&Envelope::failed(200, &format!("不支持的Api {name}"), echo))
        }
    }
}
