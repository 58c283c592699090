//! An account's events onto the stream: each published under its [`EventKey`] with its
//! bytes unchanged, and kept until the stream acknowledges it. A publish that fails (the NATS
//! connection broke, the stream did not answer in time) is sent again, with the same message
//! id and a growing pause, until the stream takes it: an event that reached the bridge is not
//! lost while the bridge runs, and the copies that were stored after all are dropped as
//! duplicates. An event the server refuses for good (larger than its payload limit) is logged
//! and skipped.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use api_core::{Events, EventsError};
use async_nats::HeaderMap;
use async_nats::header::NATS_MESSAGE_ID;
use async_nats::jetstream::context::{Context, PublishError, PublishErrorKind};
use bytes::Bytes;
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::event_key::EventKey;
use crate::partition::Partitions;

/// The pause before sending a failed event again, doubling up to [`MAX_RETRY_PAUSE`].
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(100);
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// How long a stopping publisher waits for the stream to acknowledge what is on its way.
pub const DRAIN_WITHIN: Duration = Duration::from_secs(10);

/// What happened to an account's events, for the bridge's report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// Events the stream stored.
    pub stored: u64,
    /// Events the stream had already (the message id was seen within the duplicate window).
    pub duplicates: u64,
    /// Publishes sent again after a failure.
    pub retried: u64,
    /// Events not published: not events a key could be made for, or refused by the server
    /// for good (each logged).
    pub skipped: u64,
    /// Events dropped before they reached the bridge's publisher, because it fell behind the
    /// connection (the account's event buffer overflowed).
    pub lagged: u64,
}

/// An event on its way: what to send again if the stream does not take it.
struct InFlight {
    key: EventKey,
    event: Bytes,
    /// Failed attempts so far.
    failures: u32,
}

/// What the stream said to one publish.
enum Outcome {
    Stored,
    Duplicate,
    /// Worth sending again.
    Failed,
    /// Never to be stored, for this reason.
    Refused(String),
}

/// One event's publish, from handing it to the client to the stream's answer.
type Publish = Pin<Box<dyn Future<Output = (InFlight, Outcome)> + Send>>;

/// Publishes every event `events` yields until it ends or `stop`, then waits (up to
/// [`DRAIN_WITHIN`]) until the stream has acknowledged each one still on its way. At most
/// `window` are on their way at once, handed to the NATS client in the order they came;
/// their answers are read as they come. A failed one is sent again after a pause, and may
/// then reach the stream after events that came later (of its chat too: per-chat order holds
/// for the events the stream took at the first try).
pub(crate) async fn publish_events(
    js: Context,
    mut events: Events,
    window: usize,
    partitions: Partitions,
    report: watch::Sender<Published>,
    stop: CancellationToken,
) {
    let mut in_flight: FuturesOrdered<Publish> = FuturesOrdered::new();
    let mut drain_by: Option<Instant> = None;
    loop {
        if drain_by.is_some() && in_flight.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            Some((sent, outcome)) = in_flight.next(), if !in_flight.is_empty() => match outcome {
                Outcome::Stored => report.send_modify(|r| r.stored += 1),
                Outcome::Duplicate => report.send_modify(|r| r.duplicates += 1),
                Outcome::Refused(why) => {
                    tracing::error!(msg_id = %sent.key.msg_id, reason = %why, "the server refused an event for good; skipping it");
                    report.send_modify(|r| r.skipped += 1);
                }
                Outcome::Failed => {
                    report.send_modify(|r| r.retried += 1);
                    in_flight.push_front(Box::pin(publish(js.clone(), sent)));
                }
            },
            next = events.recv_bytes(), if drain_by.is_none() && in_flight.len() < window => {
                if !take(&js, next, partitions, &mut in_flight, &report).await {
                    drain_by = Some(Instant::now() + DRAIN_WITHIN);
                }
            }
            () = stop.cancelled(), if drain_by.is_none() => {
                // What already waits in the account's buffer goes out too.
                while let Some(next) = events.recv_bytes().now_or_never() {
                    if !take(&js, next, partitions, &mut in_flight, &report).await {
                        break;
                    }
                }
                drain_by = Some(Instant::now() + DRAIN_WITHIN);
            }
            () = tokio::time::sleep_until(drain_by.unwrap_or_else(Instant::now)), if drain_by.is_some() => {
                tracing::error!(unacknowledged = in_flight.len(), within = ?DRAIN_WITHIN, "stopped before the stream acknowledged every event; another bridge's copies may still be stored");
                break;
            }
        }
    }
}

/// Starts publishing what `events` yielded; `false` once the events have ended.
async fn take(
    js: &Context,
    next: Result<Bytes, EventsError>,
    partitions: Partitions,
    in_flight: &mut FuturesOrdered<Publish>,
    report: &watch::Sender<Published>,
) -> bool {
    match next {
        Ok(event) => match EventKey::of(&event, partitions) {
            Ok(key) => {
                let sent = InFlight {
                    key,
                    event,
                    failures: 0,
                };
                in_flight.push_back(hand_off(js, sent).await);
            }
            Err(e) => {
                tracing::warn!(error = %e, "skipping an event that cannot be keyed");
                report.send_modify(|r| r.skipped += 1);
            }
        },
        Err(EventsError::Lagged(n)) => {
            tracing::error!(
                lost = n,
                "the publisher fell behind the connection and events were dropped; raise the event buffer"
            );
            report.send_modify(|r| r.lagged += n);
        }
        Err(_) => return false,
    }
    true
}

/// Hands `sent` to the NATS client now, so that events reach the stream in the order they
/// came; the wait for the stream's answer.
async fn hand_off(js: &Context, sent: InFlight) -> Publish {
    let subject = sent.key.subject.clone();
    match js
        .publish_with_headers(subject, headers(&sent.key), sent.event.clone())
        .await
    {
        Ok(ack) => Box::pin(async move {
            let outcome = answer(ack.await.map(|ack| ack.duplicate), &sent.key);
            counted(sent, outcome)
        }),
        Err(e) => {
            let outcome = not_sent(&e, &sent.key);
            Box::pin(std::future::ready(counted(sent, outcome)))
        }
    }
}

/// Publishes an event that failed before, after a pause that grows with its failures, and
/// waits for the stream's answer. (Events after it may reach the stream first.)
async fn publish(js: Context, sent: InFlight) -> (InFlight, Outcome) {
    let doublings = sent.failures.saturating_sub(1).min(16);
    let pause = (FIRST_RETRY_PAUSE * 2u32.pow(doublings)).min(MAX_RETRY_PAUSE);
    tokio::time::sleep(pause).await;
    let subject = sent.key.subject.clone();
    let outcome = match js
        .publish_with_headers(subject, headers(&sent.key), sent.event.clone())
        .await
    {
        Ok(ack) => answer(ack.await.map(|ack| ack.duplicate), &sent.key),
        Err(e) => not_sent(&e, &sent.key),
    };
    counted(sent, outcome)
}

/// The message id header of `key`.
fn headers(key: &EventKey) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(NATS_MESSAGE_ID, key.msg_id.as_str());
    headers
}

/// What the stream's answer (whether the event was a duplicate) means.
fn answer(answer: Result<bool, impl std::fmt::Display>, key: &EventKey) -> Outcome {
    match answer {
        Ok(true) => Outcome::Duplicate,
        Ok(false) => Outcome::Stored,
        Err(e) => {
            tracing::warn!(msg_id = %key.msg_id, error = %e, "the stream did not take an event; sending it again");
            Outcome::Failed
        }
    }
}

/// What a publish the client could not send means.
fn not_sent(e: &PublishError, key: &EventKey) -> Outcome {
    if e.kind() == PublishErrorKind::MaxPayloadExceeded {
        return Outcome::Refused(e.to_string());
    }
    tracing::warn!(msg_id = %key.msg_id, error = %e, "could not publish an event; sending it again");
    Outcome::Failed
}

/// `sent` with its failures counted.
fn counted(mut sent: InFlight, outcome: Outcome) -> (InFlight, Outcome) {
    if matches!(outcome, Outcome::Failed) {
        sent.failures += 1;
    }
    (sent, outcome)
}
