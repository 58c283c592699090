//! An account's actions, served as NATS requests while this bridge owns the account: each
//! request on `napcat.<self_id>.action.<wire name>` is called on the account's client, and
//! NapCat's reply goes back as it came. The bridges subscribe in one queue group, so a request
//! reaches one of them even while two briefly both think they own the account.

use std::time::Duration;

use api_core::Client;
use async_nats::{HeaderMap, Message, Subscriber};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::protocol::{self, Failure};
use crate::subject;

/// Answers `self_id`'s action requests with `client` while `held` says this bridge owns the
/// account, until `stop`. Requests being answered when it stops are finished first.
pub(crate) async fn serve_actions(
    nats: async_nats::Client,
    self_id: u64,
    client: Client,
    queue_group: String,
    mut held: watch::Receiver<bool>,
    stop: CancellationToken,
) {
    let calls = TaskTracker::new();
    'owned: loop {
        tokio::select! {
            () = stop.cancelled() => break 'owned,
            ended = ended(&mut held, true) => if ended { break 'owned },
        }
        let subscription = nats
            .queue_subscribe(subject::actions_of(Some(self_id)), queue_group.clone())
            .await;
        let mut requests: Subscriber = match subscription {
            Ok(requests) => requests,
            Err(e) => {
                tracing::warn!(self_id, error = %e, "could not subscribe to the account's actions; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        tracing::info!(self_id, "answering the account's actions");
        loop {
            tokio::select! {
                () = stop.cancelled() => {
                    finish(&nats, &client, requests, &calls).await;
                    break 'owned;
                }
                ended = ended(&mut held, false) => {
                    // The requests already delivered are answered; new ones go to the owner.
                    finish(&nats, &client, requests, &calls).await;
                    if ended { break 'owned }
                    tracing::info!(self_id, "no longer answering the account's actions");
                    continue 'owned;
                }
                request = requests.next() => match request {
                    Some(request) => {
                        let (nats, client) = (nats.clone(), client.clone());
                        calls.spawn(answer(nats, client, request));
                    }
                    None => continue 'owned,
                },
            }
        }
    }
    calls.close();
    calls.wait().await;
}

/// Stops taking requests from `requests` and answers those already delivered to it.
async fn finish(
    nats: &async_nats::Client,
    client: &Client,
    mut requests: Subscriber,
    calls: &TaskTracker,
) {
    if let Err(e) = requests.drain().await {
        tracing::warn!(error = %e, "could not stop the account's action requests cleanly");
        return;
    }
    while let Some(request) = requests.next().await {
        calls.spawn(answer(nats.clone(), client.clone(), request));
    }
}

/// Waits until `held` says `owned`; `true` when it can no longer change (the lease task
/// ended).
async fn ended(held: &mut watch::Receiver<bool>, owned: bool) -> bool {
    held.wait_for(|now| *now == owned).await.is_err()
}

/// Calls the action `request` names and sends NapCat's reply (or why there is none) back.
async fn answer(nats: async_nats::Client, client: Client, request: Message) {
    let Some(reply_to) = request.reply.clone() else {
        tracing::warn!(subject = %request.subject, "an action request without a reply subject was skipped");
        return;
    };
    let answer = match call(&client, &request).await {
        Ok(reply) => nats.publish(reply_to, reply).await,
        Err((failure, message)) => {
            let mut headers = HeaderMap::new();
            headers.insert(protocol::FAILURE, failure.name());
            // One line: a header value cannot hold a line break.
            let message = message.replace(['\r', '\n'], " ");
            headers.insert(protocol::FAILURE_MESSAGE, message.as_str());
            nats.publish_with_headers(reply_to, headers, Bytes::new())
                .await
        }
    };
    if let Err(e) = answer {
        tracing::warn!(subject = %request.subject, error = %e, "could not send an action's answer");
    }
}

/// The reply to `request`, as NapCat sent it.
async fn call(client: &Client, request: &Message) -> Result<Bytes, (Failure, String)> {
    let action = request.subject.rsplit('.').next().unwrap_or_default();
    let params: serde_json::Value = if request.payload.is_empty() {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice(&request.payload)
            .map_err(|e| (Failure::BadRequest, format!("the params are not JSON: {e}")))?
    };
    if !params.is_object() {
        return Err((
            Failure::BadRequest,
            "the params must be a JSON object".to_owned(),
        ));
    }
    let timeout = request
        .headers
        .as_ref()
        .and_then(|h| h.get(protocol::TIMEOUT_MS))
        .and_then(|v| v.as_str().parse().ok())
        .map(Duration::from_millis);
    client
        .call_raw(action, &params, timeout)
        .await
        .map(|reply| reply.body)
        .map_err(|e| {
            // The worker's error names the action itself.
            let text = e.to_string();
            let prefix = format!("{action}: ");
            let message = text.strip_prefix(&prefix).unwrap_or(&text).to_owned();
            (Failure::of(&e), message)
        })
}
