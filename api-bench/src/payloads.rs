//! NapCat-shaped replies of a chosen size.

use serde_json::{Value, json};

const SEXES: [&str; 3] = ["male", "female", "unknown"];

/// A `get_friend_list` reply with `n` friends.
pub fn friend_list(n: usize) -> String {
    let friends: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "user_id": 100_000 + i as i64,
                "nickname": format!("好友{i}"),
                "remark": format!("备注{i}"),
                "sex": SEXES[i % 3],
                "level": (i % 64) as i64,
                "age": 20 + (i % 30) as i64,
                "birthday_year": 2000,
                "birthday_month": 1 + (i % 12) as i64,
                "birthday_day": 1 + (i % 28) as i64,
                "phone_num": "",
                "email": "",
                "category_id": (i % 4) as i64,
            })
        })
        .collect();
    envelope(Value::Array(friends))
}

/// A `get_recent_contact` reply with `n` contacts.
pub fn recent_contacts(n: usize) -> String {
    let contacts: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "lastestMsg": {
                    "self_id": 10001, "user_id": 100_000 + i, "time": 1_734_567_890 + i,
                    "message_type": "private", "raw_message": "你好",
                    "message": [{"type": "text", "data": {"text": "你好"}}]
                },
                "peerUin": (100_000 + i).to_string(),
                "remark": "",
                "msgTime": (1_734_567_890 + i).to_string(),
                "chatType": 1,
                "msgId": (7 * i).to_string(),
                "sendNickName": format!("好友{i}"),
                "sendMemberName": "",
                "peerName": format!("好友{i}"),
            })
        })
        .collect();
    envelope(Value::Array(contacts))
}

/// An ok envelope around `data`, in NapCat's key order.
pub fn envelope(data: Value) -> String {
    format!(
        r#"{{"status":"ok","retcode":0,"data":{data},"message":"","wording":"","echo":null,"stream":"normal-action"}}"#
    )
}
