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

/// A realistic group message event with several segments (a quote, an @, text, a face, an
/// image), as NapCat pushes it; `n` varies the ids and text.
pub fn group_message_event(n: usize) -> String {
    json!({
        "self_id": 2233445566u64, "user_id": 1234567890u64, "time": 1_764_151_200 + n,
        "message_id": 1_780_312_391 + n, "message_seq": 1_780_312_391 + n, "real_id": 1_780_312_391 + n,
        "real_seq": (48213 + n).to_string(), "message_type": "group",
        "sender": {"user_id": 1234567890u64, "nickname": "小明", "card": "组长小明", "role": "member"},
        "raw_message": format!("[CQ:reply,id=1592331207][CQ:at,qq=2233445566] 今晚几点开会？{n}[CQ:face,id=14][CQ:image,file=8A0B.png,sub_type=0,url=https://multimedia.nt.qq.com.cn/download?appid=1406&amp;fileid=EhQ2Yz,file_size=48213]"),
        "font": 14, "sub_type": "normal",
        "message": [
            {"type": "reply", "data": {"id": "1592331207"}},
            {"type": "at", "data": {"qq": "2233445566"}},
            {"type": "text", "data": {"text": format!(" 今晚几点开会？{n}")}},
            {"type": "face", "data": {"id": "14", "raw": {"faceIndex": 14, "faceText": "/微笑", "faceType": 1}}},
            {"type": "image", "data": {"summary": "", "file": "8A0B.png", "sub_type": 0, "url": "https://multimedia.nt.qq.com.cn/download?appid=1406&fileid=EhQ2Yz", "file_size": "48213"}},
        ],
        "message_format": "array", "post_type": "message", "group_id": 123456789u64, "group_name": "项目讨论组",
    })
    .to_string()
}
