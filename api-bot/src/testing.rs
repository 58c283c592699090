//! Testing a bot without a QQ account: the bot runs over the embedded NapCat simulator, a
//! test injects what happens (a group message, a join request, a file upload) and, once the
//! bot's handler for it has finished, asserts what the bot sent. No sleeps: each injection
//! returns when the dispatcher is done with the event it caused.
//!
//! ```
//! use api_bot::dispatcher::Bot;
//! use api_bot::testing::TestBot;
//! use api_core::types::MessageEvent;
//! use api_core::{Client, Error};
//!
//! async fn pong(api: Client, m: MessageEvent) -> Result<(), Error> {
//!     api.reply(&m, "pong").await.map(drop)
//! }
//!
//! # #[tokio::main] async fn main() {
//! let bot = TestBot::start(Bot::new().on(pong)).await;
//! bot.group_message(100200, 234567, "ping").await;
//! assert_eq!(bot.take_sent()[0].text(), "pong");
//! # }
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use api_core::types::{Event, MessageEvent, MessageTarget, MetaEvent, Notice, Request};
use api_core::{Client, Events, EventsError, Message, MessageId};
use api_sim::inject::{Injected, Injection};
use api_sim::{RecordedCall, SimConfig, Simulator};
use serde_json::Value;
use tokio::sync::{Notify, oneshot};

use crate::context::{kind, message_id};
use crate::dispatcher::{Bot, RunSummary, deliveries};

/// How long a test waits for the bot to handle an event before failing: only a bug (a
/// handler that never ends, an event the bot never gets) comes near it.
const PATIENCE: Duration = Duration::from_secs(60);

/// A bot running over the embedded simulator, for tests. Dropping it stops both.
pub struct TestBot {
    sim: Simulator,
    client: Client,
    /// The harness's own subscription, to learn which event an injection caused.
    events: tokio::sync::Mutex<Heard>,
    done: Arc<Done>,
    stop: Option<oneshot::Sender<()>>,
    run: Option<tokio::task::JoinHandle<RunSummary>>,
    report_self_message: bool,
}

impl std::fmt::Debug for TestBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestBot").field("sim", &self.sim).finish()
    }
}

/// The harness's own subscription, and the bot's own messages (`message_sent`) it passed
/// over while looking for another event, for [`TestBot::bot_said`].
struct Heard {
    events: Events,
    said: VecDeque<MessageEvent>,
}

/// The events the dispatcher is done with.
#[derive(Default)]
struct Done {
    events: Mutex<Vec<Arc<Event>>>,
    changed: Notify,
}

/// One message the bot sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The action (`send_msg`, `send_group_msg`, `send_private_msg`, …).
    pub action: String,
    /// Where it went.
    pub chat: Option<MessageTarget>,
    /// What it said.
    pub message: Message,
}

impl Sent {
    /// Its text segments joined.
    pub fn text(&self) -> String {
        self.message.plain_text()
    }

    /// The message it quotes, if any.
    pub fn quotes(&self) -> Option<MessageId> {
        self.message.reply_to()
    }
}

impl TestBot {
    /// Runs `bot` over a simulator with the default seed (the bot owns group 100200, whose
    /// members include 234567 and 345678; friend 123456).
    pub async fn start(bot: Bot) -> TestBot {
        TestBot::start_with(bot, SimConfig::default()).await
    }

    /// Runs `bot` over a simulator set up by `config` (its heartbeat is turned off, so that
    /// no event comes the test did not make).
    pub async fn start_with(mut bot: Bot, config: SimConfig) -> TestBot {
        let report_self_message = config.report_self_message;
        let sim = Simulator::start(SimConfig {
            heartbeat: Duration::from_secs(24 * 3600),
            ..config
        })
        .await
        .expect("the simulator starts");
        let client = Client::builder()
            .ws_url(sim.ws_url("/"))
            .connect()
            .await
            .expect("the bot's client connects to the simulator");
        sim.wait_for_event_clients(1).await;
        let done = Arc::new(Done::default());
        let seen = done.clone();
        bot.observer = Some(Arc::new(move |event: &Arc<Event>| {
            seen.events
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(event.clone());
            seen.changed.notify_waiters();
        }));
        let (stop, stopped) = oneshot::channel::<()>();
        let (feed_events, events) = (client.events(), client.events());
        let stopped = async move {
            let _ = stopped.await;
        };
        let run = tokio::spawn(bot.run_stream(client.clone(), deliveries(feed_events), stopped));
        TestBot {
            sim,
            client,
            events: tokio::sync::Mutex::new(Heard {
                events,
                said: VecDeque::new(),
            }),
            done,
            stop: Some(stop),
            run: Some(run),
            report_self_message,
        }
    }

    /// The simulator (its state, recorded calls, files).
    pub fn sim(&self) -> &Simulator {
        &self.sim
    }

    /// The bot's client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Makes `injection` happen and returns once the bot is done with the event it causes
    /// (an injection that causes none returns at once). Panics when the simulator refuses it.
    pub async fn inject(&self, injection: Injection) -> Injected {
        let injected = self.inject_only(injection.clone());
        if let Some(expect) = self.expect(&injection, &injected) {
            let event = self.caused(&expect).await;
            self.handled(&event).await;
        }
        injected
    }

    /// Makes `injection` happen without waiting for the bot (for a conversation's first
    /// message, whose handler waits for the next one).
    pub fn inject_only(&self, injection: Injection) -> Injected {
        let kind = injection.kind();
        self.sim
            .inject(injection)
            .unwrap_or_else(|e| panic!("the simulator refused a `{kind}` injection: {e}"))
    }

    /// Member `user_id` says `message` (text with CQ codes, or segments as JSON) in group
    /// `group_id`; returns the message id once the bot is done with it.
    pub async fn group_message(
        &self,
        group_id: i64,
        user_id: i64,
        message: impl Into<Value>,
    ) -> i64 {
        self.message(Injection::GroupMessage {
            group_id,
            user_id,
            message: message.into(),
        })
        .await
    }

    /// Friend `user_id` says `message` to the bot; returns the message id once the bot is
    /// done with it.
    pub async fn private_message(&self, user_id: i64, message: impl Into<Value>) -> i64 {
        self.message(Injection::PrivateMessage {
            user_id,
            message: message.into(),
        })
        .await
    }

    /// Injects a message and returns its id once the bot is done with it.
    async fn message(&self, injection: Injection) -> i64 {
        match self.inject(injection).await {
            Injected::Message(id) => id,
            other => unreachable!("a message injection makes a message, not {other:?}"),
        }
    }

    /// Every message the bot sent since the last call, in order (other calls are left out).
    pub fn take_sent(&self) -> Vec<Sent> {
        self.sim.take_calls().iter().filter_map(sent).collect()
    }

    /// Waits until the bot is done with `event` (it already was, or does it later).
    pub async fn handled(&self, event: &Event) {
        self.handled_where(|e| e == event).await;
    }

    /// Waits until the bot is done with the message `message_id` (a message injected with
    /// [`inject_only`](Self::inject_only), whose handler may still be running).
    pub async fn message_handled(&self, message_id: i64) {
        let id = MessageId::from(message_id);
        self.handled_where(|e| matches!(e, Event::Message(m) if m.message_id == id))
            .await;
    }

    /// Waits until the bot is done with an event that passes `test`.
    pub async fn handled_where(&self, test: impl Fn(&Event) -> bool) {
        let wait = async {
            loop {
                let changed = self.done.changed.notified();
                if self.done_with(&test) {
                    return;
                }
                changed.await;
            }
        };
        if tokio::time::timeout(PATIENCE, wait).await.is_err() {
            panic!("the bot was not done with the event waited for within {PATIENCE:?}");
        }
    }

    fn done_with(&self, test: impl Fn(&Event) -> bool) -> bool {
        let done = self
            .done
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        done.iter().any(|e| test(e))
    }

    /// Stops the bot as a signal would and returns what its run saw.
    pub async fn stop(mut self) -> RunSummary {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let run = self.run.take().expect("the run is taken once");
        run.await.expect("the bot's run does not panic")
    }

    /// Which event `injection` causes, as far as it can be told apart: `None` for one that
    /// causes none.
    fn expect(&self, injection: &Injection, injected: &Injected) -> Option<Expect> {
        Some(match (injection, injected) {
            (Injection::GroupCard { .. }, _) => return None,
            (Injection::SelfMessage { .. }, _) if !self.report_self_message => return None,
            (_, Injected::Message(id)) => Expect::Message(MessageId::from(*id)),
            (_, Injected::Flag(flag)) => Expect::Flag(flag.clone()),
            (_, Injected::File(id)) => Expect::File(id.clone()),
            (other, Injected::Done) => Expect::Kind(notice_kind(other.kind())),
        })
    }

    /// The event the harness's own subscription receives that `expect` describes.
    async fn caused(&self, expect: &Expect) -> Event {
        let mut heard = self.events.lock().await;
        let wait = async {
            loop {
                let event = heard.next().await;
                if expect.matches(&event) {
                    return event;
                }
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .unwrap_or_else(|_| panic!("no event came for the injection within {PATIENCE:?}"))
    }

    /// The next message the bot sends (in the order sent), once it is sent: what a user
    /// waits for before answering a bot's question. Needs `report_self_message` in the
    /// [`SimConfig`] given to [`start_with`](Self::start_with).
    pub async fn bot_said(&self) -> MessageEvent {
        assert!(
            self.report_self_message,
            "bot_said needs SimConfig {{ report_self_message: true, .. }}"
        );
        let mut heard = self.events.lock().await;
        let wait = async {
            loop {
                if let Some(said) = heard.said.pop_front() {
                    return said;
                }
                heard.next().await;
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .unwrap_or_else(|_| panic!("the bot said nothing within {PATIENCE:?}"))
    }
}

impl Heard {
    /// The next event, keeping the bot's own messages aside. Events this subscription fell
    /// behind on are skipped: the harness reads it only while a test waits.
    async fn next(&mut self) -> Event {
        let event = loop {
            match self.events.recv().await {
                Ok(event) => break event,
                Err(EventsError::Lagged(_)) => continue,
                Err(e) => panic!("the harness receives no more events: {e}"),
            }
        };
        if let Event::MessageSent(m) = &event {
            self.said.push_back(m.clone());
        }
        event
    }
}

impl Drop for TestBot {
    fn drop(&mut self) {
        if let Some(run) = &self.run {
            run.abort();
        }
    }
}

/// What the event an injection caused is known by.
enum Expect {
    Message(MessageId),
    Flag(String),
    File(String),
    Kind(String),
}

impl Expect {
    fn matches(&self, event: &Event) -> bool {
        if matches!(
            event,
            Event::MetaEvent(MetaEvent::Lifecycle(_) | MetaEvent::Heartbeat(_))
        ) {
            return false;
        }
        match self {
            Expect::Message(id) => message_id(event) == Some(*id),
            Expect::Flag(flag) => match event {
                Event::Request(Request::Group(r)) => r.flag == *flag,
                Event::Request(Request::Friend(r)) => r.flag == *flag,
                _ => false,
            },
            Expect::File(id) => {
                matches!(event, Event::Notice(Notice::GroupUpload(n)) if n.file.id == *id)
            }
            Expect::Kind(name) => kind(event) == *name,
        }
    }
}

/// The event kind an injection of `kind` pushes (`group-ban` → `notice.group_ban`).
fn notice_kind(kind: &str) -> String {
    let name = kind.replace('-', "_");
    match name.as_str() {
        "group_poke" | "friend_poke" => "notice.notify.poke".into(),
        "group_name" | "title" | "input_status" | "profile_like" => format!("notice.notify.{name}"),
        "emoji_like" => "notice.group_msg_emoji_like".into(),
        _ => format!("notice.{name}"),
    }
}

/// The message a recorded call sent, when it is a send.
fn sent(call: &RecordedCall) -> Option<Sent> {
    if !matches!(
        call.action.as_str(),
        "send_msg" | "send_group_msg" | "send_private_msg" | ".send_msg" | "send_group_forward_msg"
    ) {
        return None;
    }
    let params = &call.params;
    let id = |key: &str| {
        params
            .get(key)
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
    };
    let chat = match (id("group_id"), id("user_id")) {
        (Some(g), _) if call.action != "send_private_msg" => Some(MessageTarget::Group(g.into())),
        (_, Some(u)) => Some(MessageTarget::Private(u.into())),
        _ => None,
    };
    let message = match params.get("message") {
        Some(Value::String(text)) => Message::from_cq(text),
        Some(segments) => serde_json::from_value(segments.clone()).unwrap_or_default(),
        None => Message::new(),
    };
    Some(Sent {
        action: call.action.clone(),
        chat,
        message,
    })
}
