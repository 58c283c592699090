//! A worker's client over NATS (`NatsRelay`) against a bridge, a real nats-server and the
//! simulator: the generated methods and the events work as over a NapCat connection, events
//! are acknowledged once handled and delivered again when not, and a call for an account no
//! bridge holds times out cleanly.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_bot::Bot;
use api_bot::conversation::Conversation;
use api_bridge::options::BridgeOptions;
use api_bridge::partition::Partitions;
use api_bridge::worker::{NatsBuilderExt, NatsRelay};
use api_core::types::{Event, MessageEvent};
use api_core::{Client, Error, GroupId, Handled, Pacing, Rate};
use async_nats::jetstream::{self, consumer::PullConsumer};
use serde_json::json;

mod common;

use common::{ACCOUNT, account, bridge_with, connected, nats, one_bridge, wait_until};

/// The durable consumer `name` of the event stream.
async fn consumer(nats: &async_nats::Client, name: &str) -> PullConsumer {
    jetstream::new(nats.clone())
        .get_stream("NAPCAT_EVENTS")
        .await
        .expect("the stream")
        .get_consumer(name)
        .await
        .expect("the consumer")
}

/// Waits until `consumer` has nothing left to deliver and nothing unacknowledged.
async fn drained(consumer: &PullConsumer) {
    wait_until("the consumer has nothing left", || {
        let mut consumer = consumer.clone();
        async move {
            let info = consumer.info().await.expect("consumer info");
            info.num_ack_pending == 0 && info.num_pending == 0
        }
    })
    .await;
}

/// A worker's client for `ACCOUNT` over `relay`.
fn worker(relay: NatsRelay) -> Client {
    Client::builder()
        .relay(relay)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client over NATS")
}

#[tokio::test]
async fn a_worker_calls_the_typed_methods_and_reads_typed_events() {
    let setup = one_bridge().await;
    let (nats, sim, bridge) = (&setup.nats, &setup.sim, &setup.bridge);
    // The builder's shortcut for a relay with the defaults.
    let api = Client::builder()
        .nats(nats.clone(), ACCOUNT)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client over NATS");

    // Calls made before the bridge takes the lease wait for it, within their time.
    let me = api.get_login_info().await.expect("the login info");
    assert_eq!(me.user_id.0, ACCOUNT as i64);
    api.send_group_msg(GroupId(100200), "from a worker")
        .await
        .expect("the send");
    assert!(
        sim.calls().iter().any(|c| c.action == "send_group_msg"
            && c.params["message"].to_string().contains("from a worker")),
        "{:?}",
        sim.calls()
    );
    // NapCat's failure arrives typed.
    match api.get_group_info(GroupId(1)).await {
        Err(Error::Api { .. }) => {}
        other => panic!("expected NapCat's failure, got {other:?}"),
    }

    let mut events = api.events();
    let id = sim.inject_group_message(100200, 123456, "张三", json!("hello worker"));
    let event = loop {
        match events.recv().await.expect("an event") {
            Event::Message(m) => break m,
            _ => continue,
        }
    };
    assert_eq!(event.message_id.0, id);
    assert_eq!(event.message.plain_text(), "hello worker");
    api.close().await;
    bridge.shutdown().await;
}

#[tokio::test]
async fn an_event_dropped_unhandled_goes_to_another_worker_at_once() {
    let setup = one_bridge().await;
    let (nats, sim, bridge) = (&setup.nats, &setup.sim, &setup.bridge);
    // An ack wait far longer than the test may take: the event comes again because it was
    // handed back, not because its time ran out (a worker killed outright leaves its events
    // to the ack wait: the scale-out test kills one).
    let relay = || {
        NatsRelay::new(nats.clone(), ACCOUNT)
            .group("shared")
            .ack_wait(Duration::from_secs(600))
    };
    let (first, second) = (worker(relay()), worker(relay()));
    let mut taken = first.events();
    let id = sim.inject_group_message(100200, 123456, "张三", json!("only once?"));
    let handled = message_in_hand(&mut taken, id).await;
    // The first worker stops reading and drops the event unhandled, as a bot does with a
    // handler it stops at shutdown, then closes.
    let mut events = second.events();
    drop(taken);
    drop(handled);
    first.close().await;
    // The second gets it again, and marks it handled.
    let again = tokio::time::timeout(common::PATIENCE, message_in_hand(&mut events, id))
        .await
        .expect("the event again, long before its ack wait");
    again.done();
    // Nothing is left unacknowledged.
    drained(&consumer(nats, "shared-20001").await).await;
    bridge.shutdown().await;
}

/// The message `id` from `events`, in hand: the events before it are marked handled.
async fn message_in_hand(events: &mut api_core::Events, id: i64) -> Handled {
    loop {
        match events.recv_handled().await.expect("an event") {
            (Event::Message(m), handled) if m.message_id.0 == id => return handled,
            (_, handled) => handled.done(),
        }
    }
}

#[tokio::test]
async fn a_bot_on_a_worker_handles_each_event_and_acknowledges_it_after_its_handler() {
    let setup = one_bridge().await;
    let (nats, sim, bridge) = (&setup.nats, &setup.sim, &setup.bridge);
    let api = worker(NatsRelay::new(nats.clone(), ACCOUNT).group("bots"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (log, release) = (seen.clone(), Arc::new(tokio::sync::Notify::new()));
    let (started, held) = (Arc::new(tokio::sync::Notify::new()), release.clone());
    let holding = started.clone();
    let bot = Bot::new().on(move |m: MessageEvent| {
        let (log, held, holding) = (log.clone(), held.clone(), holding.clone());
        async move {
            // The first message's handler runs until the test lets it end.
            if m.message.plain_text() == "hold" {
                holding.notify_one();
                held.notified().await;
            }
            log.lock().unwrap().push(m.message_id.0)
        }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(bot.run_until(api.clone(), async {
        let _ = stopped.await;
    }));
    let first = sim.inject_group_message(100200, 123456, "张三", json!("hold"));
    started.notified().await;
    let consumer = consumer(nats, "bots-20001").await;
    // While its handler runs, the event is not acknowledged (the account's earlier events,
    // handled already, are once their acknowledgements arrive).
    let unacknowledged = std::cell::Cell::new(0);
    wait_until("the earlier events are acknowledged", || {
        let (mut consumer, unacknowledged) = (consumer.clone(), &unacknowledged);
        async move {
            let info = consumer.info().await.expect("consumer info");
            unacknowledged.set(info.num_ack_pending);
            info.num_ack_pending <= 1
        }
    })
    .await;
    let unacknowledged = unacknowledged.get();
    assert_eq!(unacknowledged, 1, "the held event waits for its handler");
    let mut ids: Vec<i64> = (0..30)
        .map(|i| sim.inject_group_message(100200, 123456, "张三", json!(format!("n{i}"))))
        .collect();
    ids.push(first);
    ids.sort_unstable();
    wait_until("every other event is handled", || async {
        seen.lock().unwrap().len() == ids.len() - 1
    })
    .await;
    release.notify_one();
    wait_until("the held event is handled", || async {
        seen.lock().unwrap().len() == ids.len()
    })
    .await;
    drained(&consumer).await;
    let mut handled = seen.lock().unwrap().clone();
    handled.sort_unstable();
    assert_eq!(handled, ids, "each event handled once");
    let _ = stop.send(());
    let summary = run.await.expect("the bot ran");
    assert_eq!(summary.abandoned, 0);
    bridge.shutdown().await;
}

#[tokio::test]
async fn a_call_for_an_account_no_bridge_holds_times_out_cleanly() {
    let (_server, nats) = nats().await;
    let api = Client::builder()
        .relay(NatsRelay::new(nats.clone(), ACCOUNT))
        .timeout(Duration::from_millis(300))
        .build()
        .expect("a client over NATS");
    match api.get_login_info().await {
        Err(Error::Timeout { action, after }) => {
            assert_eq!(action, "get_login_info");
            assert_eq!(after, Duration::from_millis(300));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    // Events need the stream a bridge makes: the subscription says so.
    let mut events = api.events();
    match events.recv().await {
        Err(api_core::EventsError::Unavailable(reason)) => {
            assert!(reason.contains("start a bridge first"), "{reason}")
        }
        other => panic!("expected the stream to be missing, got {other:?}"),
    }
}

#[tokio::test]
async fn a_group_reads_its_own_account_and_a_consumer_made_for_another_is_refused() {
    let setup = one_bridge().await;
    let (nats, sim) = (&setup.nats, &setup.sim);
    // Something else made the group's consumer, reading every account.
    jetstream::new(nats.clone())
        .get_stream("NAPCAT_EVENTS")
        .await
        .expect("the stream")
        .create_consumer(jetstream::consumer::pull::Config {
            durable_name: Some(format!("taken-{ACCOUNT}")),
            filter_subject: "napcat.*.event.>".into(),
            ..Default::default()
        })
        .await
        .expect("a consumer");
    let relay = NatsRelay::new(nats.clone(), ACCOUNT).group("taken");
    assert_eq!(relay.consumer_name(), format!("taken-{ACCOUNT}"));
    match worker(relay).events().recv().await {
        Err(api_core::EventsError::Unavailable(reason)) => {
            assert!(reason.contains("napcat.*.event.>"), "{reason}")
        }
        other => panic!("expected the consumer to be refused, got {other:?}"),
    }
    // The account's own group reads the account's events.
    let mut events = worker(NatsRelay::new(nats.clone(), ACCOUNT).group("mine")).events();
    let id = sim.inject_group_message(100200, 123456, "张三", json!("mine"));
    loop {
        if let Event::Message(m) = events.recv().await.expect("an event") {
            assert_eq!(m.message_id.0, id);
            break;
        }
    }
}

#[tokio::test]
async fn a_slow_worker_holds_no_more_than_max_ack_pending() {
    let setup = one_bridge().await;
    let (nats, sim) = (&setup.nats, &setup.sim);
    let slow = worker(
        NatsRelay::new(nats.clone(), ACCOUNT)
            .group("slow")
            .max_ack_pending(4),
    );
    let mut events = slow.events();
    for i in 0..20 {
        sim.inject_group_message(100200, 123456, "张三", json!(format!("m{i}")));
    }
    // The worker takes events and handles none of them.
    let mut in_hand = Vec::new();
    while in_hand.len() < 4 {
        in_hand.push(events.recv_handled().await.expect("an event").1);
    }
    let mut consumer = consumer(nats, &format!("slow-{ACCOUNT}")).await;
    let info = consumer.info().await.expect("consumer info");
    assert_eq!(info.num_ack_pending, 4);
    // No fifth comes while four wait.
    let fifth = tokio::time::timeout(Duration::from_millis(300), events.recv_handled()).await;
    assert!(fifth.is_err(), "a fifth event came with four in hand");
    // One handled: one more comes.
    in_hand.pop().expect("four").done();
    let (_, next) = events.recv_handled().await.expect("the next event");
    next.done();
    for handled in in_hand {
        handled.done();
    }
}

#[tokio::test]
async fn paced_sends_keep_their_rate_across_workers() {
    let (_server, nats) = nats().await;
    let sim = account().await;
    let pacing = Pacing {
        account: Some(Rate::per_second(10)),
        chat: None,
        max_queued: 100,
    };
    let options = BridgeOptions {
        pacing: Some(pacing),
        ..BridgeOptions::new("bridge-a")
    };
    let bridge = bridge_with(&nats, options, &sim).await;
    connected(&bridge).await;
    let workers = [
        worker(NatsRelay::new(nats.clone(), ACCOUNT)),
        worker(NatsRelay::new(nats.clone(), ACCOUNT)),
    ];
    // Two workers send five messages each, all at once: ten sends at ten a second take at
    // least nine tenths of a second, whoever sends them.
    let start = tokio::time::Instant::now();
    let sends = workers.iter().flat_map(|api| {
        (0..5).map(move |i| async move {
            api.send_group_msg(GroupId(100200), format!("paced {i}"))
                .await
        })
    });
    for sent in futures_util::future::join_all(sends).await {
        sent.expect("a paced send");
    }
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(850),
        "ten sends at ten a second took {took:?}"
    );
    let sent = sim
        .calls()
        .iter()
        .filter(|c| c.action == "send_group_msg")
        .count();
    assert_eq!(sent, 10);
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_chat_keeps_its_order_across_workers_that_ask_for_it() {
    let (_server, nats) = nats().await;
    let sim = account().await;
    let options = BridgeOptions {
        partitions: Partitions::new(4).expect("four"),
        ..BridgeOptions::new("bridge-a")
    };
    let bridge = bridge_with(&nats, options, &sim).await;
    connected(&bridge).await;
    sim.wait_for_event_clients(1).await;
    // Two workers; each handler takes a different time, so that a chat's later message
    // would overtake an earlier one if both were handed out at once.
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut stops = Vec::new();
    for worker_no in 0..2 {
        let api = worker(
            NatsRelay::new(nats.clone(), ACCOUNT)
                .group("ordered")
                .per_chat_order(true),
        );
        let log = log.clone();
        let bot = Bot::new().on(move |m: MessageEvent| {
            let log = log.clone();
            async move {
                let pause = (m.message_id.0.unsigned_abs() * 7919) % 4;
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let group = m.group_id.expect("a group message").0;
                log.lock().unwrap().push((worker_no, group, m.message_id.0));
            }
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stops.push((
            stop,
            tokio::spawn(bot.run_until(api, async {
                let _ = stopped.await;
            })),
        ));
    }
    // Both workers wait on every partition before the messages come.
    for partition in 0..4 {
        waiting_pulls(&nats, &format!("ordered-{ACCOUNT}-p{partition}"), 2).await;
    }
    // Six chats, interleaved: 120 messages.
    let groups = [100200, 100201, 100202, 100203, 100204, 100205];
    let mut sent: Vec<(i64, i64)> = Vec::new();
    for i in 0..120 {
        let group = groups[i % groups.len()];
        let id = sim.inject_group_message(group, 123456, "张三", json!(format!("m{i}")));
        sent.push((group, id));
    }
    wait_until("every message is handled", || async {
        log.lock().unwrap().len() >= sent.len()
    })
    .await;
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), sent.len(), "each message handled once: {log:?}");
    for group in groups {
        let handled: Vec<i64> = log
            .iter()
            .filter(|(_, g, _)| *g == group)
            .map(|(_, _, id)| *id)
            .collect();
        let in_order: Vec<i64> = sent
            .iter()
            .filter(|(g, _)| *g == group)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(handled, in_order, "group {group}'s messages out of order");
    }
    for worker_no in 0..2 {
        assert!(
            log.iter().any(|(w, _, _)| *w == worker_no),
            "worker {worker_no} handled nothing: {log:?}"
        );
    }
    // Each partition has its own consumer, handing out one event at a time.
    let mut partition = consumer(&nats, &format!("ordered-{ACCOUNT}-p0")).await;
    let info = partition.info().await.expect("consumer info");
    assert_eq!(info.config.max_ack_pending, 1);
    assert_eq!(
        info.config.filter_subject,
        format!("napcat.{ACCOUNT}.event.*.*.0")
    );
    for (stop, run) in stops {
        let _ = stop.send(());
        run.await.expect("the bot ran");
    }
    bridge.shutdown().await;
}

#[tokio::test]
async fn the_workers_of_a_group_all_keep_per_chat_order_or_none_do() {
    let setup = one_bridge().await;
    let nats = &setup.nats;
    let refusal = |relay: NatsRelay| async move {
        match worker(relay).events().recv().await {
            Err(api_core::EventsError::Unavailable(reason)) => reason,
            other => panic!("expected the other order to be refused, got {other:?}"),
        }
    };
    // A group reading in any order refuses a worker asking for per-chat order...
    let any_order = reading(worker(
        NatsRelay::new(nats.clone(), ACCOUNT).group("first-any"),
    ));
    let _ = consumer_when_made(nats, &format!("first-any-{ACCOUNT}")).await;
    let reason = refusal(
        NatsRelay::new(nats.clone(), ACCOUNT)
            .group("first-any")
            .per_chat_order(true),
    )
    .await;
    assert!(
        reason.contains("reads account 20001's events in any order already")
            && reason.contains("`first-any-20001`"),
        "{reason}"
    );
    // ...and the other way round.
    let in_order = reading(worker(
        NatsRelay::new(nats.clone(), ACCOUNT)
            .group("first-ordered")
            .per_chat_order(true),
    ));
    let _ = consumer_when_made(nats, &format!("first-ordered-{ACCOUNT}-p0")).await;
    let reason = refusal(NatsRelay::new(nats.clone(), ACCOUNT).group("first-ordered")).await;
    assert!(
        reason.contains("in per-chat order already") && reason.contains("`first-ordered-20001-p0`"),
        "{reason}"
    );
    any_order.abort();
    in_order.abort();
}

/// A task reading `api`'s events (and so making its consumers) until aborted.
fn reading(api: Client) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut events = api.events();
        while events.recv().await.is_ok() {}
    })
}

/// The consumer `name`, once a worker has made it.
async fn consumer_when_made(nats: &async_nats::Client, name: &str) -> PullConsumer {
    let stream = jetstream::new(nats.clone())
        .get_stream("NAPCAT_EVENTS")
        .await
        .expect("the stream");
    let made = std::cell::RefCell::new(None);
    wait_until("the worker has made its consumer", || async {
        *made.borrow_mut() = stream.get_consumer(name).await.ok();
        made.borrow().is_some()
    })
    .await;
    made.into_inner().expect("made")
}

/// Waits until the consumer `name` exists and has at least `pulls` requests for events
/// waiting (one per worker reading it).
async fn waiting_pulls(nats: &async_nats::Client, name: &str, pulls: usize) {
    let consumer = consumer_when_made(nats, name).await;
    wait_until("the workers wait for events", || {
        let mut consumer = consumer.clone();
        async move {
            let info = consumer.info().await.expect("consumer info");
            info.num_waiting >= pulls
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_gets_its_chats_next_message_in_per_chat_order() {
    let setup = one_bridge().await;
    let (nats, sim) = (&setup.nats, &setup.sim);
    let api = worker(
        NatsRelay::new(nats.clone(), ACCOUNT)
            .group("talking")
            .per_chat_order(true),
    );
    let (said, mut heard) = tokio::sync::mpsc::unbounded_channel();
    // The dispatcher keeps each chat in order too: a conversation waiting must let the chat's
    // other events go, there and on the relay.
    let bot = Bot::new()
        .per_chat_order(true)
        .on(move |m: MessageEvent, talk: Conversation| {
            let said = said.clone();
            async move {
                let answer = match m.message.plain_text().as_str() {
                    "/name" => talk
                        .next_message(common::PATIENCE)
                        .await
                        .map_err(Into::into),
                    "/ask" => talk.ask("your name?", common::PATIENCE).await,
                    other => {
                        let _ = said.send(format!("heard {other}"));
                        return;
                    }
                };
                let _ = said.send(match answer {
                    Ok(answer) => format!("answered {}", answer.message.plain_text()),
                    Err(e) => format!("no answer: {e}"),
                });
            }
        });
    let run = tokio::spawn(bot.run(api));
    waiting_pulls(nats, &format!("talking-{ACCOUNT}-p0"), 1).await;
    for (question, answer) in [("/name", "Alice"), ("/ask", "Bob")] {
        // The question's event is held until it is handled; the conversation waiting marks it
        // so. Someone else speaks in the chat meanwhile, then the answer comes.
        sim.inject_group_message(100200, 123456, "张三", json!(question));
        sim.inject_group_message(100200, 234567, "李四", json!("meanwhile"));
        sim.inject_group_message(100200, 123456, "张三", json!(answer));
        let mut lines = vec![
            heard.recv().await.expect("the bot said something"),
            heard.recv().await.expect("the bot said something"),
        ];
        lines.sort();
        assert_eq!(
            lines,
            [format!("answered {answer}"), "heard meanwhile".to_owned()],
            "after {question}"
        );
    }
    run.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_slower_than_the_ack_wait_keeps_its_event() {
    let setup = one_bridge().await;
    let (nats, sim) = (&setup.nats, &setup.sim);
    const ACK_WAIT: Duration = Duration::from_secs(3);
    let relay = || {
        NatsRelay::new(nats.clone(), ACCOUNT)
            .group("slow-handler")
            .ack_wait(ACK_WAIT)
    };
    let (first, second) = (worker(relay()), worker(relay()));
    let mut taken = first.events();
    let mut other = second.events();
    let id = sim.inject_group_message(100200, 123456, "张三", json!("slow"));
    let handled = message_in_hand(&mut taken, id).await;
    // In hand for more than twice the ack wait: the consumer hears it is being worked on,
    // and gives it to nobody else.
    let mut consumer = consumer(nats, &format!("slow-handler-{ACCOUNT}")).await;
    tokio::time::sleep(ACK_WAIT * 2 + ACK_WAIT / 3).await;
    let info = consumer.info().await.expect("consumer info");
    assert_eq!(info.num_redelivered, 0, "the event was delivered again");
    assert_eq!(info.num_ack_pending, 1);
    handled.done();
    drained(&consumer).await;
    // The other worker got no copy (only what came before it, if anything).
    while let Ok(Ok((event, handled))) =
        tokio::time::timeout(Duration::from_millis(200), other.recv_handled()).await
    {
        assert!(
            !matches!(&event, Event::Message(m) if m.message_id.0 == id),
            "the other worker got the event too"
        );
        handled.done();
    }
}
