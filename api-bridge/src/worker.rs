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
//!     .relay(NatsRelay::new(nats, 10001).per_chat_order(true))
//!     .build()?;
//! let me = api.get_login_info().await?;
//! let mut events = api.events();
//! while let Ok(event) = events.recv().await {
//!     // Handled; asking for the next event acknowledges this one.
//! }
//! # Ok(()) }
//! ```
//!
//! Calls travel as NATS requests to the bridge that holds the account. Events come from
//! durable JetStream consumers shared by the workers of a [group](NatsRelay::group): each
//! event goes to one of them and is acknowledged once handled (the bot dispatcher: after its
//! handler). While it is in hand the consumer hears so every half ack wait (for up to ten
//! ack waits), so a slow handler keeps it; an event dropped unhandled (a handler stopped at
//! shutdown) is handed back at once, and the events of a worker that died are delivered
//! again, to any worker, once their ack wait runs out.
//!
//! By default the group reads one consumer, `<group>-<self_id>`, in any order: at most
//! `max_ack_pending` events are out unacknowledged at once, across the workers, which bounds
//! what a slow worker holds. A group that asks for [per-chat order](NatsRelay::per_chat_order)
//! reads one consumer per chat partition instead and gets each chat's events in the order
//! NapCat sent them, across its workers.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api_core::{ClientBuilder, Deliveries, Delivery, Error, EventsError, Handled, RawReply, Relay};
use async_nats::jetstream::consumer::pull::{self, MessagesErrorKind};
use async_nats::jetstream::context::ConsumerInfoErrorKind;
use async_nats::jetstream::{self, AckKind, consumer};
use async_nats::{HeaderMap, Request, RequestErrorKind};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::options::DEFAULT_STREAM;
use crate::partition::Partitions;
use crate::protocol::{self, Failure};
use crate::subject;

/// The group of workers that share each account's events, by default: they read the durable
/// consumer `workers-<self_id>` (in per-chat order, `workers-<self_id>-p<partition>`).
pub const DEFAULT_GROUP: &str = "workers";

/// How many events may be out unacknowledged at once, across the workers, by default.
pub const DEFAULT_MAX_ACK_PENDING: u32 = 1000;

/// How many events a worker asks the consumer for at once, by default.
pub const DEFAULT_BATCH: usize = 32;

/// How long an event may stay unacknowledged before it is delivered again, by default.
pub const DEFAULT_ACK_WAIT: Duration = Duration::from_secs(30);

/// How many of a group's partition consumers a worker finds or makes at once.
const OPENED_AT_ONCE: usize = 16;

/// How often an event is reported in hand, at most: for ten ack waits. A handler that hangs
/// does not hold its event (and, in per-chat order, its partition) for good.
const MAX_PROGRESS_REPORTS: u32 = 20;

/// The shortest pause between two reports that an event is in hand.
const MIN_PROGRESS_EVERY: Duration = Duration::from_millis(100);

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
    /// The group of workers; its consumers' names start with `<group>-<self_id>`.
    group: String,
    max_ack_pending: u32,
    ack_wait: Duration,
    batch: usize,
    per_chat_order: bool,
    closing: CancellationToken,
    /// The acknowledgements on their way, waited for at close.
    acks: TaskTracker,
}

impl fmt::Debug for NatsRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsRelay")
            .field("self_id", &self.self_id)
            .field("stream", &self.stream)
            .field("group", &self.group)
            .field("per_chat_order", &self.per_chat_order)
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
            group: DEFAULT_GROUP.to_owned(),
            max_ack_pending: DEFAULT_MAX_ACK_PENDING,
            ack_wait: DEFAULT_ACK_WAIT,
            batch: DEFAULT_BATCH,
            per_chat_order: false,
            closing: CancellationToken::new(),
            acks: TaskTracker::new(),
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
    /// A name that is not one NATS token (a `.`, `*`, `>` or white space in it) is refused
    /// when the events are read.
    pub fn group(mut self, group: impl AsRef<str>) -> Self {
        self.group = group.as_ref().to_owned();
        self
    }

    /// The durable consumer this worker reads the account's events from
    /// (`<group>-<self_id>`; in [per-chat order](NatsRelay::per_chat_order), the consumers
    /// of its partitions are named `<group>-<self_id>-p<partition>`).
    pub fn consumer_name(&self) -> String {
        format!("{}-{}", self.group, self.self_id)
    }

    /// How many events may be out unacknowledged at once, across the consumer's workers
    /// (default [`DEFAULT_MAX_ACK_PENDING`]); set when the consumer is made. Not in per-chat
    /// order, where each partition hands out one at a time.
    pub fn max_ack_pending(mut self, events: u32) -> Self {
        self.max_ack_pending = events;
        self
    }

    /// How long an event may go without word from its worker before it is delivered again
    /// (default [`DEFAULT_ACK_WAIT`]); set when the consumer is made. A worker reports each
    /// event in hand every half ack wait, for up to ten ack waits: a handler may take that
    /// long, and a dead worker's events go to another after one ack wait. Closing the client
    /// while handlers still run hands their events back (they are delivered again): let the
    /// bot finish first.
    pub fn ack_wait(mut self, wait: Duration) -> Self {
        self.ack_wait = wait;
        self
    }

    /// How many events this worker asks for at once (default [`DEFAULT_BATCH`]; in per-chat
    /// order, from each partition). Each waits its turn here while its ack wait runs: keep
    /// the batch times a handler's time below the ack wait, or slow handlers see their last
    /// events delivered again to other workers.
    pub fn batch(mut self, events: usize) -> Self {
        self.batch = events.max(1);
        self
    }

    /// Whether each chat's events come in order, across the workers of the group (default
    /// `false`: in any order, up to `max_ack_pending` at once).
    ///
    /// In order, the group reads each chat [partition](crate::partition) of the account
    /// through a consumer of its own, `<group>-<self_id>-p<partition>`, that hands out one
    /// event at a time: the next event of a partition goes to a worker once the one before it
    /// is acknowledged, or delivered again after the ack wait. Up to the stream's count of
    /// partitions of the account's events are handled at once, across the group, and
    /// `max_ack_pending` does not apply. Every worker of a group must ask for the same: a
    /// group that already reads the account the other way is refused when the events are
    /// read (each way would get every event).
    ///
    /// The bot dispatcher's own `per_chat_order` orders the events one process handles; this
    /// orders them across the processes. A
    /// [conversation](api_bot::conversation::Conversation) waiting for a chat's next message
    /// needs that message to be handed out: the dispatcher acknowledges the event a
    /// conversation started from once it waits.
    pub fn per_chat_order(mut self, on: bool) -> Self {
        self.per_chat_order = on;
        self
    }

    /// What opening the consumers needs, for the task that opens them.
    fn reading(&self) -> Reading {
        Reading {
            self_id: self.self_id,
            stream: self.stream.clone(),
            consumer_name: self.consumer_name(),
            ack_wait: self.ack_wait,
            max_ack_pending: self.max_ack_pending,
            batch: self.batch,
            per_chat_order: self.per_chat_order,
        }
    }
}

/// A consumer's messages, each with the consumer's ack wait.
type Messages = BoxStream<'static, (Result<jetstream::Message, pull::MessagesError>, Duration)>;

/// The settings a worker's consumers are opened with.
struct Reading {
    self_id: u64,
    stream: String,
    /// `<group>-<self_id>`: the consumer of the events in any order, and the start of the
    /// partitions' consumers' names.
    consumer_name: String,
    ack_wait: Duration,
    max_ack_pending: u32,
    batch: usize,
    per_chat_order: bool,
}

impl Reading {
    /// The consumer of the chat partition `partition`.
    fn partition_consumer(&self, partition: u16) -> String {
        format!("{}-p{partition}", self.consumer_name)
    }

    /// Finds or makes the consumers, and reads each: one for the events in any order, or one
    /// per chat partition.
    async fn open(self, js: jetstream::Context) -> Result<Vec<Messages>, String> {
        let stream_name = &self.stream;
        let stream = js.get_stream(stream_name).await.map_err(|e| {
            format!("the event stream `{stream_name}` is not there ({e}); start a bridge first, or name the stream the bridges publish to")
        })?;
        self.refuse_the_other_way(&stream).await?;
        let opened = match self.per_chat_order {
            true => self.open_partitions(&stream).await?,
            false => {
                let filter = subject::events_of(Some(self.self_id));
                let consumer = self
                    .consumer(&stream, &self.consumer_name, filter, self.max_ack_pending)
                    .await?;
                vec![self.read(&consumer).await?]
            }
        };
        // Again, now that ours exist: of two workers asking for both ways at the same moment,
        // at least one sees the other's consumer.
        self.refuse_the_other_way(&stream).await?;
        Ok(opened)
    }

    /// Finds or makes the consumer of each chat partition, and reads each.
    async fn open_partitions(
        &self,
        stream: &jetstream::stream::Stream,
    ) -> Result<Vec<Messages>, String> {
        let stream_name = &self.stream;
        let partitions = Partitions::from_metadata(&stream.cached_info().config.metadata)
            .map_err(|e| format!("the event stream `{stream_name}`: {e}"))?
            .ok_or_else(|| {
                format!(
                    "the event stream `{stream_name}` does not say how its events are divided into chat partitions \
                     (metadata `{}`); a bridge writes it when it starts",
                    crate::partition::METADATA_KEY
                )
            })?;
        futures_util::stream::iter(0..partitions.count())
            .map(|partition| async move {
                let name = self.partition_consumer(partition);
                let filter = subject::events_in_partition(self.self_id, partition);
                let consumer = self.consumer(stream, &name, filter, 1).await?;
                self.read(&consumer).await
            })
            .buffer_unordered(OPENED_AT_ONCE)
            .try_collect()
            .await
    }

    /// `Err` when the group reads the account's events the other way already: a consumer of
    /// the other way exists.
    async fn refuse_the_other_way(&self, stream: &jetstream::stream::Stream) -> Result<(), String> {
        let (other, way, named) = match self.per_chat_order {
            true => (
                self.consumer_name.clone(),
                "in any order",
                format!("`{}`", self.consumer_name),
            ),
            false => (
                self.partition_consumer(0),
                "in per-chat order",
                format!(
                    "`{}` and the other partitions' `{}-p<partition>`",
                    self.partition_consumer(0),
                    self.consumer_name
                ),
            ),
        };
        match stream.consumer_info(&other).await {
            Ok(_) => Err(format!(
                "this group of workers reads account {}'s events {way} already (its consumers: {named}); \
                 every worker of a group must ask for the same order: name another group, or, to change \
                 the group's order, stop its workers and delete those consumers (made again, they start \
                 from the stream's first event)",
                self.self_id
            )),
            Err(e) if e.kind() == ConsumerInfoErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("could not look for the consumer `{other}`: {e}")),
        }
    }

    /// The durable consumer `name` of the events `filter` selects, made when it does not exist.
    async fn consumer(
        &self,
        stream: &jetstream::stream::Stream,
        name: &str,
        filter: String,
        max_ack_pending: u32,
    ) -> Result<consumer::PullConsumer, String> {
        let config = consumer::pull::Config {
            durable_name: Some(name.to_owned()),
            filter_subject: filter.clone(),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: self.ack_wait,
            max_ack_pending: i64::from(max_ack_pending),
            ..Default::default()
        };
        let consumer = stream
            .get_or_create_consumer(name, config)
            .await
            .map_err(|e| format!("the consumer `{name}` could not be made: {e}"))?;
        let made = &consumer.cached_info().config;
        if made.filter_subject != filter {
            return Err(format!(
                "the consumer `{name}` exists and reads `{}`, not `{filter}`; \
                 name another group, or delete the consumer",
                made.filter_subject
            ));
        }
        if self.per_chat_order && made.max_ack_pending != 1 {
            return Err(format!(
                "the consumer `{name}` exists and hands out {} events at once, so it cannot keep \
                 its chats' order; name another group, or set its max_ack_pending to 1 \
                 (`nats consumer edit`)",
                made.max_ack_pending
            ));
        }
        if made.max_ack_pending != i64::from(max_ack_pending) || made.ack_wait != self.ack_wait {
            tracing::warn!(
                consumer = %name,
                max_ack_pending = made.max_ack_pending,
                ack_wait = ?made.ack_wait,
                "the consumer exists with other settings; they stay (delete it to change them)"
            );
        }
        Ok(consumer)
    }

    /// The consumer's messages, asked for `batch` at a time, each with the consumer's own ack
    /// wait (an existing consumer keeps its own, which may not be this worker's).
    async fn read(&self, consumer: &consumer::PullConsumer) -> Result<Messages, String> {
        let info = consumer.cached_info();
        let ack_wait = info.config.ack_wait;
        let messages = consumer
            .stream()
            .max_messages_per_batch(self.batch)
            .messages()
            .await
            .map_err(|e| format!("the consumer `{}` could not be read: {e}", info.name))?;
        Ok(messages.map(move |message| (message, ack_wait)).boxed())
    }
}

/// `Client::builder().nats(nats, self_id)`: the builder's shortcut for
/// `.relay(NatsRelay::new(nats, self_id))`, a worker's client for the account `self_id` with
/// the default stream, group and consumer settings.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use api_bridge::worker::NatsBuilderExt;
///
/// let nats = async_nats::connect("nats://127.0.0.1:4222").await?;
/// let api = api_core::Client::builder().nats(nats, 10001).build()?;
/// # Ok(()) }
/// ```
pub trait NatsBuilderExt {
    /// Carries the client's calls and events for the account `self_id` through `nats`.
    fn nats(self, nats: async_nats::Client, self_id: u64) -> Self;
}

impl NatsBuilderExt for ClientBuilder {
    fn nats(self, nats: async_nats::Client, self_id: u64) -> Self {
        self.relay(NatsRelay::new(nats, self_id))
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
            // No deadline for a timeout too long to add (the call's own timeout still ends it).
            let deadline = tokio::time::Instant::now().checked_add(timeout);
            let time_left = || {
                deadline.map_or(timeout, |d| {
                    d.saturating_duration_since(tokio::time::Instant::now())
                })
            };
            let mut pause = FIRST_NO_BRIDGE_PAUSE;
            loop {
                let left = time_left();
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
                        if pause >= time_left() {
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
        let group = &self.group;
        if !subject::is_token(group) {
            return Err(format!(
                "`{group}` cannot name a group of workers: it must be one NATS token (no `.`, `*`, `>` or white space)"
            ));
        }
        let messages = self.reading().open(jetstream::new(self.nats.clone()));
        let (acks, closing) = (self.acks.clone(), self.closing.clone());
        let deliveries = futures_util::stream::once(messages)
            .flat_map(move |messages| match messages {
                Ok(messages) => {
                    let (acks, closing) = (acks.clone(), closing.clone());
                    futures_util::stream::select_all(messages)
                        .filter_map(move |(message, ack_wait)| {
                            std::future::ready(match message {
                                Ok(message) => {
                                    Some(Ok(delivery(message, &acks, ack_wait, &closing)))
                                }
                                // A consumer is gone: the subscription ends (below), so that no
                                // partition is silently left unread.
                                Err(e) if matches!(
                                    e.kind(),
                                    MessagesErrorKind::ConsumerDeleted
                                        | MessagesErrorKind::PushBasedConsumer
                                ) => Some(Err(EventsError::Unavailable(format!(
                                    "reading the events ended: {e}"
                                )))),
                                // A missed heartbeat, a failed pull (NATS away for a while):
                                // the stream of messages carries on.
                                Err(e) => {
                                    tracing::warn!(error = %e, "reading the events failed for a while; going on");
                                    None
                                }
                            })
                        })
                        .left_stream()
                }
                Err(reason) => futures_util::stream::iter([Err(EventsError::Unavailable(reason))])
                    .right_stream(),
            })
            // After the first error (a consumer gone, or none to read), nothing more.
            .scan(false, |ended, next| {
                let yielded = (!*ended).then(|| {
                    *ended = next.is_err();
                    next
                });
                std::future::ready(yielded)
            })
            .take_until(self.closing.clone().cancelled_owned());
        Ok(Box::pin(deliveries))
    }

    fn describe(&self) -> &str {
        &self.description
    }

    /// Ends the subscriptions, then sends the acknowledgements on their way, so that the
    /// events handled before the close are not delivered again.
    fn close(&self) -> BoxFuture<'static, ()> {
        self.closing.cancel();
        let (acks, nats) = (self.acks.clone(), self.nats.clone());
        Box::pin(async move {
            acks.close();
            acks.wait().await;
            if let Err(e) = nats.flush().await {
                tracing::warn!(error = %e, "could not send the last acknowledgements; their events will be delivered again");
            }
        })
    }
}

/// An event from the stream, and the task (tracked by `acks`) that answers the consumer for
/// it: while the event is in hand it says every half ack wait that the event is being worked
/// on, so that a handler slower than the ack wait keeps it (and, in per-chat order, its
/// chat's turn), for up to ten ack waits; once the event is handled it acknowledges it; when the event is dropped
/// unhandled, or the relay closes first, it hands the event back at once, to be delivered
/// again.
fn delivery(
    message: jetstream::Message,
    acks: &TaskTracker,
    ack_wait: Duration,
    closing: &CancellationToken,
) -> Delivery {
    let event = message.payload.clone();
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(
            "an event was read outside a Tokio runtime and cannot be acknowledged; it will be delivered again"
        );
        return Delivery {
            event,
            handled: Handled::nobody(),
        };
    };
    let in_hand = closing.child_token();
    let handled = Arc::new(AtomicBool::new(false));
    let answer = {
        let (in_hand, handled) = (in_hand.clone(), handled.clone());
        let every = (ack_wait / 2).max(MIN_PROGRESS_EVERY);
        async move {
            let mut reports = 0;
            loop {
                tokio::select! {
                    () = in_hand.cancelled() => break,
                    () = tokio::time::sleep(every), if reports < MAX_PROGRESS_REPORTS => {
                        reports += 1;
                        if reports == MAX_PROGRESS_REPORTS {
                            tracing::warn!(subject = %message.subject, ?ack_wait, "an event has been in hand for ten ack waits; it is no longer reported, and goes to another worker once its ack wait runs out");
                        }
                        if let Err(e) = message.ack_with(AckKind::Progress).await {
                            tracing::debug!(subject = %message.subject, error = %e, "could not say an event is in hand");
                        }
                    }
                }
            }
            let (kind, failed) = match handled.load(Ordering::Acquire) {
                true => (
                    AckKind::Ack,
                    "could not acknowledge an event; it will be delivered again",
                ),
                false => (
                    AckKind::Nak(None),
                    "could not hand back an unhandled event; it will be delivered again after its ack wait",
                ),
            };
            if let Err(e) = message.ack_with(kind).await {
                tracing::warn!(subject = %message.subject, error = %e, "{failed}");
            }
        }
    };
    acks.spawn_on(answer, &runtime);
    // Dropped unhandled: the guard ends the task, which hands the event back.
    let guard = in_hand.drop_guard();
    Delivery {
        event,
        handled: Handled::new(move || {
            handled.store(true, Ordering::Release);
            drop(guard);
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
        Failure::Auth => Error::Auth {
            action,
            message: format!("the bridge's access token was refused: {message}"),
            http_status: None,
        },
        _ => Error::Transport {
            action,
            source: format!("the bridge: {message}").into(),
        },
    })
}
