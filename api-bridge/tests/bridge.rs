//! The bridge against a real nats-server with JetStream and the simulator dialing in as
//! NapCat: events reach the stream once and unchanged, actions are answered with NapCat's
//! reply, the account's lease moves between bridges, and the bridges of a stream agree on its
//! chat partitions.

use std::time::Duration;

use api_bridge::bridge::{Bridge, BridgeError};
use api_bridge::options::BridgeOptions;
use api_bridge::partition::{DEFAULT_PARTITIONS, Partitions};
use api_bridge::protocol::{self, Failure};
use api_bridge::subject;
use api_sim::Fault;
use async_nats::jetstream::{self, consumer, kv, stream};
use async_nats::{RequestErrorKind, client::Client as NatsClient};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};

mod common;

use common::{
    ACCOUNT, PATIENCE, account, bridge, bridge_with, connected, nats, one_bridge, wait_until,
};

/// Calls `action` on the account through NATS, as a worker does.
async fn request(nats: &NatsClient, action: &str, params: Value) -> async_nats::Message {
    nats.request(
        subject::action(ACCOUNT, action),
        Bytes::from(params.to_string()),
    )
    .await
    .expect("an answer")
}

/// The account's group messages in the stream, read by a fresh consumer.
async fn stored_group_messages(js: &jetstream::Context, name: &str) -> Vec<Value> {
    let stream = js.get_stream("NAPCAT_EVENTS").await.expect("the stream");
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.into()),
            filter_subject: format!("napcat.{ACCOUNT}.event.message.group.*"),
            ..Default::default()
        })
        .await
        .expect("a consumer");
    let pending = consumer.cached_info().num_pending as usize;
    let mut stored = Vec::new();
    let mut messages = consumer.messages().await.expect("messages");
    while stored.len() < pending {
        let message = messages
            .next()
            .await
            .expect("a message")
            .expect("a message");
        message.ack().await.expect("ack");
        stored.push(serde_json::from_slice(&message.payload).expect("JSON"));
    }
    stored
}

/// The `message_id` of each message event.
fn message_ids(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["message_id"].as_i64().expect("an id"))
        .collect()
}

#[tokio::test]
async fn events_reach_the_stream_and_actions_are_answered_with_napcats_reply() {
    let setup = one_bridge().await;
    let (nats, sim, bridge) = (&setup.nats, &setup.sim, &setup.bridge);
    assert!(
        bridge.wait_for_lease(ACCOUNT, true).await,
        "the only bridge takes the lease"
    );

    // An action's answer is NapCat's reply as it came.
    let answer = request(nats, "get_login_info", json!({})).await;
    let reply: Value = serde_json::from_slice(&answer.payload).expect("NapCat's reply");
    assert_eq!(reply["status"], "ok");
    assert_eq!(reply["data"]["user_id"], ACCOUNT);
    // A send goes through to NapCat.
    let answer = request(
        nats,
        "send_group_msg",
        json!({"group_id": 100200, "message": "from a worker"}),
    )
    .await;
    let reply: Value = serde_json::from_slice(&answer.payload).expect("NapCat's reply");
    assert_eq!(reply["status"], "ok", "{reply}");
    let sent = sim
        .calls()
        .into_iter()
        .find(|c| c.action == "send_group_msg");
    assert_eq!(
        sent.expect("NapCat got the send").params["message"],
        "from a worker"
    );
    // A failure NapCat reports is its reply too.
    let answer = request(nats, "get_group_info", json!({"group_id": 1})).await;
    let reply: Value = serde_json::from_slice(&answer.payload).expect("NapCat's reply");
    assert_eq!(reply["status"], "failed", "{reply}");
    // Params that are not a JSON object never reach NapCat; the answer says why.
    let answer = nats
        .request(subject::action(ACCOUNT, "get_login_info"), "[1]".into())
        .await
        .expect("an answer");
    let headers = answer.headers.expect("failure headers");
    assert_eq!(
        headers.get(protocol::FAILURE).map(|v| v.as_str()),
        Some(Failure::BadRequest.name())
    );
    assert!(answer.payload.is_empty());
    // Nobody holds another account: the request fails at once.
    let nobody = nats
        .request(subject::action(ACCOUNT + 1, "get_login_info"), "{}".into())
        .await
        .expect_err("no bridge holds the account");
    assert_eq!(nobody.kind(), RequestErrorKind::NoResponders);

    // Events are published unchanged, under their subject.
    let ids: Vec<i64> = (0..20)
        .map(|i| sim.inject_group_message(100200, 123456, "张三", json!(format!("hello {i}"))))
        .collect();
    let js = jetstream::new(nats.clone());
    let start = std::time::Instant::now();
    let stored = loop {
        let reader = format!("reader-{}", start.elapsed().as_nanos());
        let stored = stored_group_messages(&js, &reader).await;
        if stored.len() >= ids.len() {
            break stored;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "the stream never held every event"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(message_ids(&stored), ids, "each event once, in order");
    assert_eq!(stored[3]["raw_message"], "hello 3");
    bridge.shutdown().await;
}

#[tokio::test]
async fn two_bridges_store_each_event_once_and_the_lease_moves_when_one_stops() {
    let (_server, nats) = nats().await;
    let sim = account().await;
    let first = bridge(&nats, "bridge-a", Duration::from_secs(3), &sim).await;
    connected(&first).await;
    assert!(first.wait_for_lease(ACCOUNT, true).await);
    let second = bridge(&nats, "bridge-b", Duration::from_secs(3), &sim).await;
    connected(&second).await;
    // NapCat sends events on both connections from now on.
    sim.wait_for_event_clients(2).await;
    // The second sees the account but does not own it.
    assert_eq!(second.accounts(), vec![(ACCOUNT, false)]);

    // Both bridges publish every event; the stream keeps one of each.
    let ids: Vec<i64> = (0..50)
        .map(|i| sim.inject_group_message(100200, 123456, "张三", json!(format!("hi {i}"))))
        .collect();
    let published = |bridge: &Bridge| bridge.published(ACCOUNT).unwrap_or_default();
    wait_until("both bridges published every event", || async {
        [&first, &second]
            .iter()
            .all(|b| published(b).stored + published(b).duplicates >= 50)
    })
    .await;
    assert!(published(&first).stored + published(&second).stored >= 50);
    let js = jetstream::new(nats.clone());
    let stored = stored_group_messages(&js, "reader").await;
    assert_eq!(
        message_ids(&stored),
        ids,
        "one copy of each event, in order"
    );

    // The first stops: it gives the lease up, and the second takes it and answers.
    first.shutdown().await;
    assert!(second.wait_for_lease(ACCOUNT, true).await);
    let answer = request(&nats, "get_login_info", json!({})).await;
    let reply: Value = serde_json::from_slice(&answer.payload).expect("NapCat's reply");
    assert_eq!(reply["data"]["user_id"], ACCOUNT);
    second.shutdown().await;
}

#[tokio::test]
async fn a_lease_nobody_renews_ages_out_and_another_bridge_takes_it() {
    let (_server, nats) = nats().await;
    let js = jetstream::new(nats.clone());
    let ttl = Duration::from_secs(2);
    // A bridge that died holding the lease: its key stays until it ages out.
    let leases = js
        .create_key_value(kv::Config {
            bucket: "napcat_accounts".into(),
            history: 1,
            max_age: ttl,
            ..Default::default()
        })
        .await
        .expect("the bucket");
    leases
        .create(ACCOUNT.to_string(), "a dead bridge".into())
        .await
        .expect("the dead bridge's lease");
    let written = std::time::Instant::now();
    let sim = account().await;
    let bridge = bridge(&nats, "bridge-b", ttl, &sim).await;
    connected(&bridge).await;
    // Until the dead bridge's lease ages out, the account is not this bridge's (a slow
    // start-up may see it aged out already).
    let seen = bridge.accounts();
    if written.elapsed() < ttl {
        assert_eq!(seen, vec![(ACCOUNT, false)]);
    }
    let taken = tokio::time::timeout(PATIENCE, bridge.wait_for_lease(ACCOUNT, true)).await;
    assert_eq!(taken, Ok(true), "the lease aged out and was taken");
    let owner = leases
        .get(ACCOUNT.to_string())
        .await
        .expect("read the lease");
    assert_eq!(owner.as_deref(), Some(&b"bridge-b"[..]));
    bridge.shutdown().await;
    // Given up at shutdown.
    assert_eq!(leases.get(ACCOUNT.to_string()).await.expect("read"), None);
}

#[tokio::test]
async fn a_bridge_that_loses_napcat_gives_the_lease_to_one_that_has_it() {
    let (_server, nats) = nats().await;
    let sim = account().await;
    let options = |name: &str| BridgeOptions {
        lease_ttl: Duration::from_secs(30),
        ..BridgeOptions::new(name)
    };
    let first = bridge_with(&nats, options("bridge-a"), &sim).await;
    assert!(first.wait_for_lease(ACCOUNT, true).await);
    let second = bridge_with(&nats, options("bridge-b"), &sim).await;
    connected(&second).await;
    // NapCat closes its connection to the first bridge (the one answering) and does not dial
    // it again; the first keeps the account, waiting for NapCat. The lease goes to the second
    // at once, long before the 30 s TTL could run out.
    sim.script("get_status", Fault::CloseConnection);
    let answer = request(&nats, "get_status", json!({})).await;
    let failure = answer.headers.expect("no reply: the connection closed");
    assert_eq!(
        failure.get(protocol::FAILURE).map(|v| v.as_str()),
        Some(Failure::Disconnected.name())
    );
    assert!(first.wait_for_lease(ACCOUNT, false).await);
    assert!(second.wait_for_lease(ACCOUNT, true).await);
    let answer = request(&nats, "get_login_info", json!({})).await;
    let reply: Value = serde_json::from_slice(&answer.payload).expect("NapCat's reply");
    assert_eq!(reply["data"]["user_id"], ACCOUNT);
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn every_bridge_of_a_stream_divides_its_chats_into_the_same_partitions() {
    let (_server, nats) = nats().await;
    let js = jetstream::new(nats.clone());
    // A stream made by other means: the first bridge writes its count there.
    js.create_stream(stream::Config {
        name: "BY_HAND".into(),
        subjects: vec![subject::events_of(None)],
        ..Default::default()
    })
    .await
    .expect("a stream");
    let eight = Partitions::new(8).expect("eight");
    let options = |name: &str, partitions| BridgeOptions {
        stream: "BY_HAND".into(),
        partitions,
        ..BridgeOptions::new(name)
    };
    let first = Bridge::start(nats.clone(), options("bridge-a", eight))
        .await
        .expect("the first bridge starts");
    let mut stream = js.get_stream("BY_HAND").await.expect("the stream");
    let metadata = &stream.info().await.expect("its info").config.metadata;
    assert_eq!(Partitions::from_metadata(metadata), Ok(Some(eight)));
    // A bridge with the same count starts; one with another is refused, saying which.
    let second = Bridge::start(nats.clone(), options("bridge-b", eight))
        .await
        .expect("a bridge with the same count starts");
    match Bridge::start(nats.clone(), options("bridge-c", DEFAULT_PARTITIONS)).await {
        Err(refused @ BridgeError::Partitions { .. }) => assert_eq!(
            refused.to_string(),
            "the event stream `BY_HAND` divides each account's events into 8 chat partitions, \
             this bridge into 16; start it with 8 partitions (every bridge of a stream uses one \
             count), or publish to another stream"
        ),
        other => panic!("expected the count to be refused, got {other:?}"),
    }
    first.shutdown().await;
    second.shutdown().await;
}
