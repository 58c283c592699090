//! The dispatcher over the simulator: handlers get the typed event and what else they ask
//! for, run for their kind of event only, each in a task of its own; failures reach the hook.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use api_bot::dispatcher::Bot;
use api_bot::extract::State;
use api_bot::report::HandlerError;
use api_bot::testing::TestBot;
use api_core::types::MessageTarget;
use api_core::types::{GroupRequest, MessageEvent};
use api_core::{Client, Error, GroupId, MessageId, UserId};
use api_sim::inject::{Injected, Injection};
use tokio::sync::Notify;

const GROUP: i64 = 100200;

/// The handler gets the client, the typed message and shared state; it answers in the chat.
#[tokio::test]
async fn handlers_get_client_event_and_state() {
    async fn count(
        api: Client,
        m: MessageEvent,
        State(n): State<Arc<AtomicUsize>>,
    ) -> Result<(), Error> {
        let seen = n.fetch_add(1, Ordering::SeqCst) + 1;
        api.reply(&m, format!("message {seen}")).await?;
        Ok(())
    }
    let counter = Arc::new(AtomicUsize::new(0));
    let bot = TestBot::start(Bot::new().state(counter.clone()).on(count)).await;
    let first = bot.group_message(GROUP, 234567, "hello").await;
    bot.private_message(123456, "hi").await;
    let sent = bot.take_sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text(), "message 1");
    assert_eq!(sent[0].chat, Some(MessageTarget::Group(GroupId(GROUP))));
    assert_eq!(sent[0].quotes(), Some(MessageId::from(first)));
    assert_eq!(sent[1].chat, Some(MessageTarget::Private(UserId(123456))));
    assert_eq!(counter.load(Ordering::SeqCst), 2);
}

/// A handler runs for the kind of event its typed argument names, and the first handler that
/// applies is the only one that runs.
#[tokio::test]
async fn handlers_are_picked_by_event_kind_in_order() {
    async fn approve(api: Client, r: GroupRequest) -> Result<(), Error> {
        api.set_group_add_request(&r.flag, true).await
    }
    async fn first(api: Client, m: MessageEvent) -> Result<(), Error> {
        api.reply(&m, "first").await.map(drop)
    }
    async fn second(api: Client, m: MessageEvent) -> Result<(), Error> {
        api.reply(&m, "second").await.map(drop)
    }
    let bot = TestBot::start(Bot::new().on(approve).on(first).on(second)).await;
    let flag = bot
        .inject(Injection::GroupRequest {
            group_id: GROUP,
            user_id: 567891,
            nickname: "吴九".into(),
            comment: String::new(),
        })
        .await;
    assert!(matches!(flag, Injected::Flag(_)));
    let calls = bot.sim().take_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "set_group_add_request");
    bot.group_message(GROUP, 234567, "hello").await;
    let texts: Vec<String> = bot.take_sent().iter().map(|s| s.text()).collect();
    assert_eq!(texts, ["first"]);
}

/// A failing handler is reported to the hook with the event's kind, chat and ids; so is a
/// panicking one; the bot goes on.
#[tokio::test]
async fn failures_reach_the_error_hook() {
    async fn fail(m: MessageEvent) -> Result<(), Error> {
        if m.message.plain_text() == "panic" {
            panic!("boom");
        }
        Err(Error::invalid_argument(
            "test",
            "message",
            "refused on purpose",
        ))
    }
    let failures = Arc::new(Mutex::new(Vec::new()));
    let hook = failures.clone();
    let bot = Bot::new().on(fail).on_error(move |e: &HandlerError| {
        hook.lock()
            .unwrap()
            .push((e.kind.clone(), e.chat, e.user, e.message_id, e.to_string()));
    });
    let bot = TestBot::start(bot).await;
    let id = bot.group_message(GROUP, 234567, "hello").await;
    bot.group_message(GROUP, 234567, "panic").await;
    let failures = failures.lock().unwrap().clone();
    assert_eq!(failures.len(), 2);
    let (kind, chat, user, message_id, text) = &failures[0];
    assert_eq!(kind, "message");
    assert_eq!(*chat, Some(MessageTarget::Group(GroupId(GROUP))));
    assert_eq!(*user, Some(UserId(234567)));
    assert_eq!(*message_id, Some(MessageId::from(id)));
    assert!(text.contains("refused on purpose"), "{text}");
    assert!(failures[1].4.contains("boom"), "{}", failures[1].4);
}

/// Each event is handled in a task of its own: a handler that waits does not hold up
/// another chat's events.
#[tokio::test]
async fn a_waiting_handler_does_not_hold_up_others() {
    let gate = Arc::new(Notify::new());
    let open = gate.clone();
    let bot = Bot::new().on(move |api: Client, m: MessageEvent| {
        let gate = gate.clone();
        async move {
            if m.is_group() {
                gate.notified().await;
            }
            api.reply(&m, "done").await.map(drop)
        }
    });
    let bot = TestBot::start(bot).await;
    let Injected::Message(blocked) = bot.inject_only(Injection::GroupMessage {
        group_id: GROUP,
        user_id: 234567,
        message: "wait".into(),
    }) else {
        unreachable!()
    };
    bot.private_message(123456, "quick").await;
    let sent = bot.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].chat, Some(MessageTarget::Private(UserId(123456))));
    open.notify_one();
    bot.message_handled(blocked).await;
    assert_eq!(
        bot.take_sent()[0].chat,
        Some(MessageTarget::Group(GroupId(GROUP)))
    );
}

/// With per-chat order, a chat's second event starts only after its first is handled, while
/// another chat goes on.
#[tokio::test]
async fn per_chat_order_keeps_a_chat_in_line() {
    let gate = Arc::new(Notify::new());
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (open, seen) = (gate.clone(), log.clone());
    let bot = Bot::new().per_chat_order(true).on(move |m: MessageEvent| {
        let (gate, log) = (gate.clone(), log.clone());
        async move {
            let text = m.message.plain_text();
            log.lock().unwrap().push(format!("start {text}"));
            if text == "1" {
                gate.notified().await;
            }
            log.lock().unwrap().push(format!("end {text}"));
        }
    });
    let bot = TestBot::start(bot).await;
    for text in ["1", "2"] {
        bot.inject_only(Injection::GroupMessage {
            group_id: GROUP,
            user_id: 234567,
            message: text.into(),
        });
    }
    // The private message comes after both: once it is handled, both were dispatched.
    bot.private_message(123456, "other").await;
    assert_eq!(
        *seen.lock().unwrap(),
        ["start 1", "start other", "end other"]
    );
    open.notify_one();
    let last = bot.group_message(GROUP, 234567, "3").await;
    assert!(last > 0);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "start 1",
            "start other",
            "end other",
            "end 1",
            "start 2",
            "end 2",
            "start 3",
            "end 3"
        ]
    );
}

/// A panic in the bot's own code outside a handler's body (a filter, the error hook) is
/// reported and the bot goes on: the next message is still answered.
#[tokio::test]
async fn a_panicking_filter_or_error_hook_does_not_stop_the_bot() {
    use api_bot::filter::Filter;
    async fn echo(api: Client, m: MessageEvent) -> Result<(), Error> {
        api.reply(&m, "still here").await.map(drop)
    }
    let failures = Arc::new(Mutex::new(Vec::new()));
    let hook = failures.clone();
    let touchy = Filter::new(|ctx| {
        let text = ctx.message().map(|m| m.message.plain_text());
        assert_ne!(text.as_deref(), Some("filter"), "the filter panics");
        true
    });
    let bot = Bot::new()
        .on_if(touchy, echo)
        .on_error(move |e: &HandlerError| {
            hook.lock().unwrap().push(e.to_string());
            panic!("the hook panics too");
        });
    let bot = TestBot::start(bot).await;
    bot.group_message(GROUP, 234567, "filter").await;
    bot.group_message(GROUP, 234567, "hello").await;
    let texts: Vec<String> = bot.take_sent().iter().map(|s| s.text()).collect();
    assert_eq!(texts, ["still here"]);
    let failures = failures.lock().unwrap().clone();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("the filter panics"), "{failures:?}");
}
