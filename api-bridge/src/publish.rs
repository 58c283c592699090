//! An account's events onto the stream: each published under its [`EventKey`] with its
//! bytes unchanged, and kept until the stream acknowledges it. A publish that fails (the NATS
//! connection broke, the stream did not answer in time) is sent again, with the same message
//! id, until the stream takes it: an event that reached the bridge is not lost while the
//! bridge runs, and the copies that were stored after all are dropped as duplicates.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use api_core::{Events, EventsError};
use async_nats::HeaderMap;
use async_nats::header::NATS_MESSAGE_ID;
use async_nats::jetstream::context::{Context, PublishAckFuture};
use bytes::Bytes;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::event_key::EventKey;

/// The pause before sending a failed event again, doubling up to [`MAX_RETRY_PAUSE`].
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(100);
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// An event on its way: what to send again if the stream does not take it.
struct InFlight {
    key: EventKey,
    event: Bytes,
    ack: Ack,
}

/// The stream's answer to a publish: `Some(duplicate)` once stored (or found stored
/// already), `None` when the publish failed.
type Ack = Pin<Box<dyn Future<Output = Option<bool>> + Send>>;

/// What happened to an account's events, for the bridge's report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Events the stream stored.
    pub stored: u64,
    /// Events the stream had already (the message id was seen within the duplicate window).
    pub duplicates: u64,
    /// Publishes sent again after a failure.
    pub retried: u64,
    /// Frames that were not events a key could be made for (logged and skipped).
    pub skipped: u64,
    /// Events dropped before they reached the bridge's publisher, because it fell behind the
    /// connection (the account's event buffer overflowed).
    pub lagged: u64,
}

/// Publishes every event `events` yields until it ends or `stop`, then waits until the
/// stream has acknowledged each one still on its way. At most `window` wait at once.
pub(crate) async fn publish_events(
    js: Context,
    mut events: Events,
    window: usize,
    report: watch::Sender<Published>,
    stop: CancellationToken,
) {
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    let mut open = true;
    while open || !in_flight.is_empty() {
        tokio::select! {
            biased;
            stored = async { (&mut in_flight.front_mut().expect("not empty").ack).await }, if !in_flight.is_empty() => {
                let done = in_flight.pop_front().expect("not empty");
                match stored {
                    Some(true) => report.send_modify(|r| r.duplicates += 1),
                    Some(false) => report.send_modify(|r| r.stored += 1),
                    // Sent again before anything after it: those that failed too come next.
                    None => resend(&js, done, &report).await,
                }
            }
            next = events.recv_bytes(), if open && in_flight.len() < window => match next {
                Ok(event) => match EventKey::of(&event) {
                    Ok(key) => in_flight.push_back(send(&js, key, event).await),
                    Err(e) => {
                        tracing::warn!(error = %e, "skipping an event that cannot be keyed");
                        report.send_modify(|r| r.skipped += 1);
                    }
                },
                Err(EventsError::Lagged(n)) => {
                    tracing::error!(lost = n, "the publisher fell behind the connection and events were dropped; raise the event buffer");
                    report.send_modify(|r| r.lagged += n);
                }
                Err(_) => open = false,
            },
            () = stop.cancelled(), if open => open = false,
        }
    }
}

/// Hands `event` to the NATS client under `key`.
async fn send(js: &Context, key: EventKey, event: Bytes) -> InFlight {
    let ack = publish(js, &key, event.clone()).await;
    InFlight { key, event, ack }
}

/// Publishes `event` with its message id; the stream's answer to come.
async fn publish(js: &Context, key: &EventKey, event: Bytes) -> Ack {
    let mut headers = HeaderMap::new();
    headers.insert(NATS_MESSAGE_ID, key.msg_id.as_str());
    let subject = key.subject.clone();
    match js.publish_with_headers(subject, headers, event).await {
        Ok(ack) => Box::pin(answer(ack, key.msg_id.clone())),
        Err(e) => {
            tracing::warn!(msg_id = %key.msg_id, error = %e, "could not publish an event; sending it again");
            Box::pin(std::future::ready(None))
        }
    }
}

/// The stream's answer to one publish.
async fn answer(ack: PublishAckFuture, msg_id: String) -> Option<bool> {
    match ack.await {
        Ok(ack) => Some(ack.duplicate),
        Err(e) => {
            tracing::warn!(%msg_id, error = %e, "the stream did not take an event; sending it again");
            None
        }
    }
}

/// Sends a failed event again until the stream takes it, pausing longer after each failure.
async fn resend(js: &Context, failed: InFlight, report: &watch::Sender<Published>) {
    let mut pause = FIRST_RETRY_PAUSE;
    loop {
        report.send_modify(|r| r.retried += 1);
        let ack = publish(js, &failed.key, failed.event.clone()).await;
        if let Some(duplicate) = ack.await {
            report.send_modify(|r| {
                if duplicate {
                    r.duplicates += 1
                } else {
                    r.stored += 1
                }
            });
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_RETRY_PAUSE);
    }
}
