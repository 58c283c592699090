//! The worker's side: [`NatsRelay`], the NATS transport of a
//! [`Client`](api_core::Client). A worker builds its client over it and runs the same bot
//! code it would run over a NapCat connection:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use api_bridge::worker::NatsRelay;
//!
//! let nats = async_nats::connect("nats://127.0.0.1:4222").await?;
//! let api = api_core::Client::builder()
//!     .relay(NatsRelay::new(nats, 10001))
//!     .build()?;
//! let me = api.get_login_info().await?;
//! let mut events = api.events();
//! while let Ok(event) = events.recv().await {
//!     // Handled; asking for the next event acknowledges this one.
//! }
//! # Ok(()) }
//! ```
//!
//! Calls travel as NATS requests to the bridge that holds the account. Events come from a
//! durable JetStream consumer shared by every worker of the account: each event goes to one
//! of them, is acknowledged once handled (the bot dispatcher: after its handler), and is
//! delivered again, to any worker, when that does not happen within the consumer's ack wait
//! (the worker died, or its handler was stopped). At most `max_ack_pending` events are out
//! unacknowledged at once, across the workers: a slow worker holds up no more than that.

use std::fmt;
use std::time::Duration;

use api_core::{Deliveries, Delivery, Error, EventsError, Handled, RawReply, Relay};
use async_nats::jetstream::{self, consumer};
use async_nats::{HeaderMap, Request, RequestErrorKind};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::options::DEFAULT_STREAM;
use crate::protocol::{self, Failure};
use crate::subject;

/// The group of workers that share each account's events, by default: they read the durable
/// consumer `workers-<self_id>`.
pub const DEFAULT_GROUP: &str = "workers";

/// How many events may be out unacknowledged at once, across the workers, by default.
pub const DEFAULT_MAX_ACK_PENDING: i64 = 1000;

/// How long an event may stay unacknowledged before it is delivered again, by default.
pub const DEFAULT_ACK_WAIT: Duration = Duration::from_secs(30);

/// The pause before asking again when no bridge holds the account, doubling up to
/// [`MAX_NO_BRIDGE_PAUSE`], within the call's timeout.
const FIRST_NO_BRIDGE_PAUSE: Duration = Duration::from_millis(20);
const MAX_NO_BRIDGE_PAUSE: Duration = Duration::from_millis(500);

/// The NATS transport of a worker's [`Client`](api_core::Client), for one account (see the
/// module's docs).
pub struct NatsRelay {
    nats: async_nats::Client,
    self_id: u64,
    description: String,
    stream: String,
    consumer: String,
    max_ack_pending: i64,
    ack_wait: Duration,
    closing: CancellationToken,
}

impl fmt::Debug for NatsRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsRelay")
            .field("self_id", &self.self_id)
            .field("stream", &self.stream)
            .field("consumer", &self.consumer)
            .finish_non_exhaustive()
    }
}

impl NatsRelay {
    /// The account `self_id`'s calls and events through `nats`, with the default stream and
    /// consumer.
    pub fn new(nats: async_nats::Client, self_id: u64) -> NatsRelay {
        NatsRelay {
            nats,
            self_id,
            description: format!("nats:{}", subject::actions_of(Some(self_id))),
            stream: DEFAULT_STREAM.to_owned(),
            consumer: format!("{DEFAULT_GROUP}-{self_id}"),
            max_ack_pending: DEFAULT_MAX_ACK_PENDING,
            ack_wait: DEFAULT_ACK_WAIT,
            closing: CancellationToken::new(),
        }
    }

    /// The stream the bridges publish to (default [`DEFAULT_STREAM`]).
    pub fn stream(mut self, name: impl Into<String>) -> Self {
        self.stream = name.into();
        self
    }

    /// The group of workers this one belongs to (default [`DEFAULT_GROUP`]): the workers
    /// of one group share the account's events, each event going to one of them; each group
    /// sees every event. The group reads the durable consumer `<group>-<self_id>`.
    pub fn group(mut self, group: &str) -> Self {
        self.consumer = format!("{group}-{}", self.self_id);
        self
    }

    /// The durable consumer this worker reads the account's events from
    /// (`<group>-<self_id>`).
    pub fn consumer_name(&self) -> &str {
        &self.consumer
    }

    /// How many events may be out unacknowledged at once, across the consumer's workers
    /// (default [`DEFAULT_MAX_ACK_PENDING`]); set when the consumer is made.
    pub fn max_ack_pending(mut self, events: i64) -> Self {
        self.max_ack_pending = events;
        self
    }

    /// How long an event may stay unacknowledged before it is delivered again (default
    /// [`DEFAULT_ACK_WAIT`]); set when the consumer is made. Longer than the slowest handler.
    pub fn ack_wait(mut self, wait: Duration) -> Self {
        self.ack_wait = wait;
        self
    }

    /// The consumer's settings.
    fn consumer_config(&self) -> consumer::pull::Config {
        consumer::pull::Config {
            durable_name: Some(self.consumer.clone()),
            filter_subject: subject::events_of(Some(self.self_id)),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: self.ack_wait,
            max_ack_pending: self.max_ack_pending,
            ..Default::default()
        }
    }
}

impl Relay for NatsRelay {
    fn call(
        &self,
        action: &str,
        params: String,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<RawReply, Error>> {
        let (nats, action) = (self.nats.clone(), action.to_owned());
        let subject = subject::action(self.self_id, &action);
        Box::pin(async move {
            let deadline = tokio::time::Instant::now() + timeout;
            let mut pause = FIRST_NO_BRIDGE_PAUSE;
            loop {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                let mut headers = HeaderMap::new();
                headers.insert(protocol::TIMEOUT_MS, left.as_millis().to_string().as_str());
                let request = Request::new()
                    .payload(params.clone().into())
                    .headers(headers)
                    .timeout(Some(left));
                match nats.send_request(subject.clone(), request).await {
                    Ok(answer) => return answer_to_reply(&action, timeout, answer),
                    // No bridge holds the account now (one may be taking it over): asked
                    // again until the call's time runs out.
                    Err(e) if e.kind() == RequestErrorKind::NoResponders => {
                        if tokio::time::Instant::now() + pause >= deadline {
                            tracing::debug!(action, "no bridge holds the account");
                            return Err(Error::Timeout {
                                action,
                                after: timeout,
                            });
                        }
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(MAX_NO_BRIDGE_PAUSE);
                    }
                    Err(e) if e.kind() == RequestErrorKind::TimedOut => {
                        return Err(Error::Timeout {
                            action,
                            after: timeout,
                        });
                    }
                    Err(e) => {
                        return Err(Error::Transport {
                            action,
                            source: Box::new(e),
                        });
                    }
                }
            }
        })
    }

    fn subscribe(&self) -> Result<Deliveries, String> {
        let js = jetstream::new(self.nats.clone());
        let (stream, config) = (self.stream.clone(), self.consumer_config());
        let consumer_name = self.consumer.clone();
        let messages = async move {
            let stream = js
                .get_stream(&stream)
                .await
                .map_err(|e| format!("the event stream `{stream}` is not there ({e}); start a bridge first, or name the stream the bridges publish to"))?;
            let filter = config.filter_subject.clone();
            let consumer = stream
                .get_or_create_consumer(&consumer_name, config)
                .await
                .map_err(|e| format!("the consumer `{consumer_name}` could not be made: {e}"))?;
            let reads = &consumer.cached_info().config.filter_subject;
            if *reads != filter {
                return Err(format!(
                    "the consumer `{consumer_name}` exists and reads `{reads}`, not `{filter}`; \
                     name another group, or delete the consumer"
                ));
            }
            consumer
                .messages()
                .await
                .map_err(|e| format!("the consumer `{consumer_name}` could not be read: {e}"))
        };
        let deliveries = futures_util::stream::once(messages)
            .flat_map(|messages| match messages {
                Ok(messages) => messages
                    .map(|message| match message {
                        Ok(message) => Ok(delivery(message)),
                        Err(e) => Err(EventsError::Unavailable(format!(
                            "reading the events failed: {e}"
                        ))),
                    })
                    .left_stream(),
                Err(reason) => futures_util::stream::iter([Err(EventsError::Unavailable(reason))])
                    .right_stream(),
            })
            .take_until(self.closing.clone().cancelled_owned());
        Ok(Box::pin(deliveries))
    }

    fn describe(&self) -> &str {
        &self.description
    }

    fn close(&self) -> BoxFuture<'static, ()> {
        self.closing.cancel();
        Box::pin(std::future::ready(()))
    }
}

/// An event from the stream, acknowledged once handled.
fn delivery(message: jetstream::Message) -> Delivery {
    let event = message.payload.clone();
    Delivery {
        event,
        handled: Handled::new(move || {
            tokio::spawn(async move {
                if let Err(e) = message.ack().await {
                    tracing::warn!(subject = %message.subject, error = %e, "could not acknowledge an event; it will be delivered again");
                }
            });
        }),
    }
}

/// The reply a bridge's answer carries, or the failure it names.
fn answer_to_reply(
    action: &str,
    timeout: Duration,
    answer: async_nats::Message,
) -> Result<RawReply, Error> {
    let failure = answer
        .headers
        .as_ref()
        .and_then(|h| h.get(protocol::FAILURE))
        .map(|v| Failure::from_name(v.as_str()));
    let Some(failure) = failure else {
        return Ok(RawReply::new(None, answer.payload));
    };
    let message = answer
        .headers
        .as_ref()
        .and_then(|h| h.get(protocol::FAILURE_MESSAGE))
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default();
    let action = action.to_owned();
    Err(match failure {
        Failure::Timeout => Error::Timeout {
            action,
            after: timeout,
        },
        Failure::Disconnected | Failure::Closed => Error::Disconnected {
            action,
            reason: format!("the bridge's connection to NapCat: {message}"),
        },
        Failure::BadRequest => Error::invalid_argument(&action, "(params)", message),
        Failure::Other => Error::Transport {
            action,
            source: format!("the bridge: {message}").into(),
        },
    })
}
