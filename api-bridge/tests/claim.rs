//! Claims across workers against a real nats-server: the first account to claim a group
//! message answers it, the others leave it, and a private message is always its account's.

mod common;

use api_bridge::claim::Claims;
use api_core::types::{Event, MessageEvent};
use common::nats;
use serde_json::{Value, json};

/// A group message of group 100200 as the account `self_id` received it.
fn group_message(self_id: i64, extra: Value) -> MessageEvent {
    let mut json = json!({
        "time": 1764151000, "self_id": self_id, "post_type": "message",
        "message_type": "group", "sub_type": "normal", "message_id": 7,
        "group_id": 100200, "user_id": 123456,
        "message": [{"type": "text", "data": {"text": "/roll"}}],
        "raw_message": "/roll", "font": 14,
        "sender": {"user_id": 123456, "nickname": "张三"}
    });
    json.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    match Event::from_slice(json.to_string().as_bytes()).expect("an event") {
        Event::Message(m) => m,
        other => panic!("not a message: {other:?}"),
    }
}

#[tokio::test]
async fn the_first_account_to_claim_a_message_answers_it() {
    let (_server, nats) = nats().await;
    let (a, b) = (
        Claims::open(nats.clone()).await.expect("the claims"),
        Claims::open(nats.clone()).await.expect("the claims, again"),
    );
    // Two accounts saw the same message (QQ's sequence number in the group).
    let seq = json!({"real_seq": "5521"});
    assert!(a.claim(&group_message(10001, seq.clone())).await.unwrap());
    assert!(!b.claim(&group_message(10002, seq.clone())).await.unwrap());
    // The first account again (its worker handling it once more after a crash): still its.
    assert!(b.claim(&group_message(10001, seq)).await.unwrap());

    // Without a sequence number, the sender, time and text make the key.
    let plain = json!({});
    assert!(b.claim(&group_message(10002, plain.clone())).await.unwrap());
    assert!(!a.claim(&group_message(10001, plain)).await.unwrap());
    let later = json!({"time": 1764151001});
    assert!(a.claim(&group_message(10001, later)).await.unwrap());

    // A sequence number that is not a plain token still makes one key.
    let odd = json!({"real_seq": "a.b*c"});
    assert!(a.claim(&group_message(10001, odd.clone())).await.unwrap());
    assert!(!b.claim(&group_message(10002, odd)).await.unwrap());

    // A private message is always its account's.
    let private = json!({"message_type": "private", "sub_type": "friend", "group_id": null});
    assert!(
        a.claim(&group_message(10001, private.clone()))
            .await
            .unwrap()
    );
    assert!(b.claim(&group_message(10002, private)).await.unwrap());
}
