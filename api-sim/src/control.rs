//! The control API: a small HTTP server beside the simulator, on a port of its own, through
//! which other processes (a bot's tests in any language, `napcat sim inject`) make things
//! happen to the account and read what the bot did. It answers JSON:
//!
//! | request | does | answers |
//! | --- | --- | --- |
//! | `GET /kinds` | lists what can be injected | `[{kind, summary, fields: [{name, type, required, doc}]}]` |
//! | `POST /inject/{kind}` | injects it; the body is its fields as a JSON object | 200 `{message_id}`, `{flag}`, `{file_id}` or `{}`; 400 unreadable fields, 404 unknown kind, 422 refused (`{error}`) |
//! | `POST /events` | pushes the body, any event, as it is | 200 `{}` |
//! | `GET /calls` | every call the simulator received (`?action=` for one action's) | `[{action, params, transport, reply}]` |
//! | `DELETE /calls` | the same, clearing the record | the same |
//! | `GET /event-clients?at_least=N` | waits until `N` clients receive events | `{event_clients}` |
//!
//! It listens on loopback only and asks for no token: it is for tests on the same machine.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::inject::{Injection, KINDS};
use crate::{RecordedCall, Shared};

type Answer = (StatusCode, Json<Value>);

fn error(status: StatusCode, text: impl Into<String>) -> Answer {
    (status, Json(json!({"error": text.into()})))
}

/// Serves the control API on `listener` until the simulator stops.
pub(crate) fn spawn(shared: Arc<Shared>, listener: tokio::net::TcpListener) {
    let app = Router::new()
        .route("/kinds", get(kinds))
        .route("/inject/{kind}", post(inject))
        .route("/events", post(push))
        .route("/calls", get(calls).delete(take_calls))
        .route("/event-clients", get(event_clients))
        .with_state(shared.clone());
    let mut stop = shared.shutdown.subscribe();
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "simulator control API stopped");
        }
    });
}

async fn kinds() -> Json<Value> {
    Json(Value::Array(
        KINDS
            .iter()
            .map(|k| {
                let fields: Vec<Value> = k
                    .fields
                    .iter()
                    .map(|f| {
                        json!({"name": f.name, "type": f.value_type(), "required": f.required,
                               "doc": joined(f.doc)})
                    })
                    .collect();
                json!({"kind": k.name, "summary": k.summary(), "doc": joined(k.doc), "fields": fields})
            })
            .collect(),
    ))
}

/// Doc comment lines as one text.
fn joined(doc: &str) -> String {
    doc.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

async fn inject(
    AxState(shared): AxState<Arc<Shared>>,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Answer {
    if !KINDS.iter().any(|k| k.name == kind) {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        return error(
            StatusCode::NOT_FOUND,
            format!("no kind `{kind}`; the kinds are {}", names.join(", ")),
        );
    }
    let fields = if body.iter().all(u8::is_ascii_whitespace) {
        Some(Value::Object(Default::default()))
    } else {
        crate::parse_json5(&body)
    };
    let Some(Value::Object(mut fields)) = fields else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("{kind}: the body must be a JSON object of its fields"),
        );
    };
    fields.insert("kind".into(), Value::String(kind.clone()));
    let injection: Injection = match serde_json::from_value(Value::Object(fields)) {
        Ok(i) => i,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("{kind}: {e}")),
    };
    match shared.with_state(|state| crate::inject::apply(state, injection)) {
        Ok(made) => (StatusCode::OK, Json(made.to_json())),
        Err(refused) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{kind}: {refused}"),
        ),
    }
}

async fn push(AxState(shared): AxState<Arc<Shared>>, body: axum::body::Bytes) -> Answer {
    match crate::parse_json5(&body) {
        Some(event @ Value::Object(_)) => {
            shared.events.send(event);
            (StatusCode::OK, Json(json!({})))
        }
        _ => error(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object: the event",
        ),
    }
}

/// A recorded call as JSON; its reply as NapCat's envelope words it (`status`, and `data` or
/// `message`), `null` while it runs or when a scripted fault answered.
fn call_json(c: &RecordedCall) -> Value {
    let reply = match &c.reply {
        None => Value::Null,
        Some(Ok(None)) => json!({"status": "ok"}),
        Some(Ok(Some(data))) => json!({"status": "ok", "data": data}),
        Some(Err(message)) => json!({"status": "failed", "message": message}),
    };
    json!({"action": c.action, "params": c.params, "transport": c.transport, "reply": reply})
}

fn listed(calls: &[RecordedCall], query: &HashMap<String, String>) -> Json<Value> {
    let wanted = query.get("action");
    Json(Value::Array(
        calls
            .iter()
            .filter(|c| wanted.is_none_or(|a| *a == c.action))
            .map(call_json)
            .collect(),
    ))
}

async fn calls(
    AxState(shared): AxState<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    listed(&crate::lock(&shared.calls), &query)
}

async fn take_calls(
    AxState(shared): AxState<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let taken = std::mem::take(&mut *crate::lock(&shared.calls));
    listed(&taken, &query)
}

async fn event_clients(
    AxState(shared): AxState<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let at_least = match query.get("at_least").map(|n| n.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "at_least is a whole number"),
    };
    let mut clients = shared.event_clients.subscribe();
    let mut stop = shared.shutdown.subscribe();
    tokio::select! {
        _ = clients.wait_for(|c| *c >= at_least) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
    let now = *shared.event_clients.borrow();
    (StatusCode::OK, Json(json!({"event_clients": now})))
}
