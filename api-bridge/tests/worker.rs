//! A worker's client over NATS (`NatsRelay`) against a bridge, a real nats-server and the
//! simulator: the generated methods and the events work as over a NapCat connection, events
//! are acknowledged once handled and delivered again when not, and a call for an account no
//! bridge holds times out cleanly.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_bot::Bot;
use api_bridge::worker::NatsRelay;
use api_core::types::{Event, MessageEvent};
use api_core::{Client, Error, GroupId};
use async_nats::jetstream::{self, consumer::PullConsumer};
use serde_json::json;

mod common;

use common::{ACCOUNT, nats, one_bridge};

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
async fn drained(consumer: &mut PullConsumer) {
    loop {
        let info = consumer.info().await.expect("consumer info");
        if info.num_ack_pending == 0 && info.num_pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    let api = worker(NatsRelay::new(nats.clone(), ACCOUNT));

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
async fn an_event_not_marked_handled_is_delivered_again_to_another_worker() {
    let setup = one_bridge().await;
    let (nats, sim, bridge) = (&setup.nats, &setup.sim, &setup.bridge);
    let relay = || {
        NatsRelay::new(nats.clone(), ACCOUNT)
            .group("shared")
            .ack_wait(Duration::from_secs(1))
    };
    let (first, second) = (worker(relay()), worker(relay()));
    let mut taken = first.events();
    let id = sim.inject_group_message(100200, 123456, "张三", json!("only once?"));
    // The first worker takes the message and dies before it is handled.
    let (event, handled) = loop {
        match taken.recv_handled().await.expect("an event") {
            (Event::Message(m), handled) => break (m, handled),
            (_, handled) => handled.done(),
        }
    };
    assert_eq!(event.message_id.0, id);
    drop(handled);
    drop(taken);
    first.close().await;
    // The second gets it again once the ack wait runs out, and marks it handled.
    let mut events = second.events();
    let (again, handled) = loop {
        match events.recv_handled().await.expect("an event") {
            (Event::Message(m), handled) => break (m, handled),
            (_, handled) => handled.done(),
        }
    };
    assert_eq!(again.message_id.0, id);
    handled.done();
    // Nothing is left unacknowledged.
    drained(&mut consumer(nats, "shared-20001").await).await;
    bridge.shutdown().await;
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
    let mut consumer = consumer(nats, "bots-20001").await;
    // While its handler runs, the event is not acknowledged (the account's earlier events,
    // handled already, are once their acknowledgements arrive).
    let unacknowledged = loop {
        let info = consumer.info().await.expect("consumer info");
        if info.num_ack_pending <= 1 {
            break info.num_ack_pending;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(unacknowledged, 1, "the held event waits for its handler");
    let mut ids: Vec<i64> = (0..30)
        .map(|i| sim.inject_group_message(100200, 123456, "张三", json!(format!("n{i}"))))
        .collect();
    ids.push(first);
    ids.sort_unstable();
    while seen.lock().unwrap().len() < ids.len() - 1 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    release.notify_one();
    while seen.lock().unwrap().len() < ids.len() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drained(&mut consumer).await;
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
