//! Event keys against a real nats-server with JetStream: a copy of an event published again
//! within the duplicate window is dropped by JetStream, and workers find events by subject.

use std::time::Duration;

use api_bridge::event_key::EventKey;
use api_bridge::partition::DEFAULT_PARTITIONS;
use api_bridge::subject;
use api_bridge::testing::NatsServer;
use async_nats::header::NATS_MESSAGE_ID;
use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;

const GROUP_MESSAGE: &str = r#"{"self_id":10001,"user_id":20002,"time":1700000000,"message_id":123,"message_type":"group","sub_type":"normal","group_id":30003,"message":[{"type":"text","data":{"text":"hi"}}],"raw_message":"hi","font":14,"post_type":"message"}"#;
const POKE: &str = r#"{"time":1700000001,"self_id":10002,"post_type":"notice","notice_type":"notify","sub_type":"poke","group_id":30003,"user_id":20002,"target_id":10002}"#;

/// Publishes `event` under its key; whether JetStream took it for a duplicate.
async fn publish(js: &jetstream::Context, event: &'static str) -> bool {
    let key = EventKey::of(event.as_bytes(), DEFAULT_PARTITIONS).expect("an event");
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(NATS_MESSAGE_ID, key.msg_id.as_str());
    let ack = js
        .publish_with_headers(key.subject, headers, Bytes::from_static(event.as_bytes()))
        .await
        .expect("publish")
        .await
        .expect("the stream's ack");
    ack.duplicate
}

#[tokio::test]
async fn an_event_published_twice_is_stored_once_and_found_by_subject() {
    let server = NatsServer::start().expect("a nats-server");
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client);
    let mut events = js
        .create_stream(stream::Config {
            name: "NAPCAT_EVENTS".into(),
            subjects: vec![subject::events_of(None)],
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .expect("create the stream");

    assert!(
        !publish(&js, GROUP_MESSAGE).await,
        "the first copy is stored"
    );
    assert!(
        publish(&js, GROUP_MESSAGE).await,
        "the second copy is a duplicate"
    );
    assert!(!publish(&js, POKE).await, "another event is stored");
    assert!(publish(&js, POKE).await);
    assert_eq!(events.info().await.expect("stream info").state.messages, 2);

    // A worker that handles one account's events reads only those.
    let worker = events
        .create_consumer(consumer::pull::Config {
            durable_name: Some("account-10002".into()),
            filter_subject: subject::events_of(Some(10002)),
            ..Default::default()
        })
        .await
        .expect("create the consumer");
    let mut batch = worker
        .fetch()
        .max_messages(10)
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .expect("fetch");
    use futures_util::StreamExt;
    let first = batch.next().await.expect("one event").expect("a message");
    assert_eq!(&*first.subject, "napcat.10002.event.notice.notify.3");
    assert_eq!(first.payload, Bytes::from_static(POKE.as_bytes()));
    first.ack().await.expect("ack");
    assert!(batch.next().await.is_none(), "only the one account's event");
}
