//! NapCat's HTTP event posting (`httpClients`, packages/napcat-onebot/network/http-client.ts)
//! and the quick operations it applies from the answers (packages/napcat-onebot/api/
//! quick-action.ts).

use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;

use crate::Shared;
use crate::dispatch;
use crate::quick_operation;

/// Posts every event but meta events to `url`, each in its own request and not awaited by
/// the next, with `x-self-id` and, with a token, `x-signature`. A 2xx answer with a body is
/// read as JSON5 and applied as a quick operation.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    url: String,
    token: Option<String>,
) -> tokio::task::JoinHandle<()> {
    let mut subscriber = crate::subscriber::Subscriber::new(&shared);
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        while let Some(event) = subscriber.next_non_meta().await {
            tokio::spawn(post_one(
                shared.clone(),
                http.clone(),
                url.clone(),
                token.clone(),
                event,
            ));
        }
    })
}

async fn post_one(
    shared: Arc<Shared>,
    http: reqwest::Client,
    url: String,
    token: Option<String>,
    event: Value,
) {
    let body = event.to_string();
    let self_id = crate::lock(&shared.state).self_id();
    let mut req = http
        .post(&url)
        .header("content-type", "application/json")
        .header("x-self-id", self_id.to_string());
    if let Some(t) = token.as_deref().filter(|t| !t.is_empty()) {
        req = req.header(
            "x-signature",
            format!("sha1={}", signature(t, body.as_bytes())),
        );
    }
    let resp = match req.body(body).send().await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "posting an event failed");
            return;
        }
    };
    if !resp.status().is_success() {
        tracing::warn!(status = %resp.status(), "the bot refused an event post");
        return;
    }
    let Ok(answer) = resp.bytes().await else {
        return;
    };
    if answer.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match crate::parse_json5(&answer) {
        Some(Value::Object(op)) => {
            let op = Value::Object(op);
            let started = quick_operation::action(&event, &op);
            shared.with_state(|state| dispatch::run_started(state, started));
        }
        _ => tracing::warn!("an event post's answer is not a quick operation"),
    }
}

/// Lower-case hex HMAC-SHA1 of `body` keyed with `token`.
pub(crate) fn signature(token: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
