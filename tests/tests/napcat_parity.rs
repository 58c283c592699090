//! The simulator answers as NapCat v4.18.19 does, for any client: raw HTTP requests and raw
//! WebSocket frames (not through our client), each checked against what NapCat's source says
//! it answers. One test per difference once found between the two.

use api_core::UserId;
use std::time::Duration;

use api_core::Client;
use api_sim::{SimConfig, Simulator};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn sim() -> Simulator {
    Simulator::start(SimConfig::default()).await.unwrap()
}

/// Posts `body` to `/{action}` (plus a query string) and returns the HTTP status and body.
async fn http(sim: &Simulator, path_and_query: &str, body: &str) -> (u16, String) {
    let reply = reqwest::Client::new()
        .post(format!("{}/{path_and_query}", sim.http_url()))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (reply.status().as_u16(), reply.text().await.unwrap())
}

/// One WebSocket connection on `path` that skips events and returns replies as text.
struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    async fn open(url: &str) -> Ws {
        let (stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Ws { stream }
    }

    async fn send(&mut self, frame: &str) -> String {
        self.stream
            .send(Message::Text(frame.to_owned().into()))
            .await
            .unwrap();
        self.next_reply().await
    }

    /// The next text frame that is (`event`) or is not an event.
    async fn next_frame(&mut self, event: bool) -> String {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("a frame")
                .expect("open")
                .unwrap();
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v.get("post_type").is_some() == event {
                    return t.as_str().to_owned();
                }
            }
        }
    }

    async fn next_reply(&mut self) -> String {
        self.next_frame(false).await
    }

    async fn next_event(&mut self) -> String {
        self.next_frame(true).await
    }

    /// The next event that is not a meta event (a heartbeat may come at any time).
    async fn next_pushed(&mut self) -> Value {
        loop {
            let event = parse(&self.next_event().await);
            if event["post_type"] != "meta_event" {
                return event;
            }
        }
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

// 1. A token in the query string is percent-decoded, by the simulator and by the client.
#[tokio::test]
async fn query_tokens_and_values_are_percent_decoded() {
    const TOKEN: &str = "a!@#+/ &%b";
    let sim = Simulator::start(SimConfig {
        token: Some(TOKEN.into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let encoded = "a%21%40%23%2B%2F+%26%25b";
    let (status, body) = http(&sim, &format!("get_status?access_token={encoded}"), "{}").await;
    assert_eq!(
        (status, parse(&body)["retcode"].clone()),
        (200, json!(0)),
        "{body}"
    );
    // A value in the query string reaches the action decoded.
    let (_, body) = http(
        &sim,
        &format!("set_self_longnick?access_token={encoded}&longNick=%E9%98%BF"),
        "",
    )
    .await;
    assert_eq!(parse(&body)["retcode"], 0, "{body}");
    let me = Client::builder()
        .base_url(sim.http_url())
        .access_token(TOKEN)
        .build()
        .unwrap()
        .get_stranger_info(UserId(10001))
        .await
        .unwrap();
    assert_eq!(me.long_nick.as_deref(), Some("阿"));
    // The client encodes the token it puts in the query; the simulator decodes it.
    let api = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .access_token(TOKEN)
        .token_in_query(true)
        .connect()
        .await
        .unwrap();
    assert!(api.get_status().await.unwrap().online);
}

// 2. `null` is refused for a typed field, with TypeBox's wording; NapCat's conversions apply.
#[tokio::test]
async fn null_is_not_a_missing_key_and_conversions_are_napcats() {
    let sim = sim().await;
    for (action, params, expected) in [
        (
            "set_friend_add_request",
            json!({"flag": "flag_12345", "remark": null}),
            "Expected string",
        ),
        (
            "get_recent_contact",
            json!({"count": null}),
            "Expected union value",
        ),
        (
            "delete_friend",
            json!({"user_id": 345678, "temp_block": null}),
            "Expected boolean",
        ),
    ] {
        let (_, body) = http(&sim, action, &params.to_string()).await;
        let reply = parse(&body);
        assert_eq!(reply["retcode"], 400, "{action}: {body}");
        assert_eq!(
            reply["message"],
            format!("Schema compilation error: {expected}"),
            "{action}"
        );
    }
    assert!(
        sim.with_state(|s| s.friends_len()) == 3,
        "nothing was consumed"
    );
    // `approve` is `string|boolean` in NapCat: "yes" passes and approves (only false refuses).
    let (_, body) = http(
        &sim,
        "set_friend_add_request",
        r#"{"flag": "flag_12345", "approve": "yes"}"#,
    )
    .await;
    assert_eq!(parse(&body)["retcode"], 0, "{body}");
    assert_eq!(sim.with_state(|s| s.friends_len()), 4);
}

// 3. Schema error texts are TypeBox's first message, without the key.
#[tokio::test]
async fn schema_errors_use_typeboxs_words() {
    let sim = sim().await;
    let (_, body) = http(&sim, "set_friend_remark", r#"{"user_id": 123456}"#).await;
    assert_eq!(
        parse(&body)["message"],
        "Schema compilation error: Expected required property"
    );
    let mut ws = Ws::open(&sim.ws_url("/api")).await;
    let reply = parse(
        &ws.send(r#"{"action":"send_like","params":[1],"echo":7}"#)
            .await,
    );
    assert_eq!(
        (reply["retcode"].clone(), reply["message"].clone()),
        (
            json!(1400),
            json!("Schema compilation error: Expected object")
        )
    );
}

// 4. Ids NapCat declares as text pass its schema; the handler fails instead (1200, not 1400).
#[tokio::test]
async fn text_ids_pass_the_schema_and_fail_in_the_handler() {
    let sim = sim().await;
    let mut ws = Ws::open(&sim.ws_url("/api")).await;
    let reply = parse(
        &ws.send(r#"{"action":"send_like","params":{"user_id":"abc"},"echo":1}"#)
            .await,
    );
    assert_eq!(reply["retcode"], 1200, "{reply}");
    assert!(reply["message"].as_str().unwrap().starts_with("点赞失败"));
}

// 5. `delete_friend {}` is ok with {valid: false} (go-cqhttp/GoCQHTTPDeleteFriend.ts).
#[tokio::test]
async fn delete_friend_without_a_target_is_ok_and_invalid() {
    let sim = sim().await;
    let (_, body) = http(&sim, "delete_friend", "{}").await;
    let reply = parse(&body);
    assert_eq!(reply["status"], "ok");
    assert_eq!(
        reply["data"],
        json!({"valid": false, "message": "好友不存在"})
    );
}

// 6. A null echo comes back as "" on success (`echo ?? ''`), as it does for a missing one.
#[tokio::test]
async fn a_null_echo_comes_back_empty() {
    let sim = sim().await;
    let mut ws = Ws::open(&sim.ws_url("/api")).await;
    let reply = parse(&ws.send(r#"{"action":"get_status","echo":null}"#).await);
    assert_eq!(
        (reply["retcode"].clone(), reply["echo"].clone()),
        (json!(0), json!(""))
    );
    // An unknown action keeps the echo as sent (null), as NapCat's 1404 does.
    let reply = parse(&ws.send(r#"{"action":"no_such","echo":null}"#).await);
    assert_eq!(
        (reply["retcode"].clone(), reply["echo"].clone()),
        (json!(1404), Value::Null)
    );
}

// 7. Frames and bodies are read as JSON5, as NapCat reads them.
#[tokio::test]
async fn json5_frames_and_bodies_are_understood() {
    let sim = sim().await;
    let mut ws = Ws::open(&sim.ws_url("/api")).await;
    let reply = parse(&ws.send("{action:'get_status',echo:'j5',}").await);
    assert_eq!(
        (reply["retcode"].clone(), reply["echo"].clone()),
        (json!(0), json!("j5"))
    );
    let (status, body) = http(&sim, "send_like", "{user_id: '123456', times: 2,}").await;
    assert_eq!(
        (status, parse(&body)["retcode"].clone()),
        (200, json!(0)),
        "{body}"
    );
    assert_eq!(sim.with_state(|s| s.likes().get(&123456).copied()), Some(2));
}

// 8. Handler errors in NapCat's words.
#[tokio::test]
async fn handler_errors_use_napcats_words() {
    let sim = sim().await;
    for (action, params, expected) in [
        (
            "set_friend_add_request",
            json!({"flag": "nope"}),
            "No such request",
        ),
        (
            "set_friend_remark",
            json!({"user_id": "999", "remark": "x"}),
            "用户 999 不是好友",
        ),
        (
            "mark_msg_as_read",
            json!({}),
            "缺少参数 group_id 或 user_id",
        ),
        (
            "nc_get_user_status",
            json!({"user_id": "999"}),
            "无法获取用户状态",
        ),
    ] {
        let (_, body) = http(&sim, action, &params.to_string()).await;
        let reply = parse(&body);
        assert_eq!(
            (reply["retcode"].clone(), reply["message"].clone()),
            (json!(200), json!(expected)),
            "{action}"
        );
    }
}

// 9. Keys keep NapCat's order: envelopes, data and events.
#[tokio::test]
async fn keys_keep_napcats_order() {
    let sim = sim().await;
    let (_, body) = http(&sim, "get_login_info", "{}").await;
    assert!(
        body.starts_with(r#"{"status":"ok","retcode":0,"data":{"user_id":10001,"nickname":"#),
        "{body}"
    );
    let mut ws = Ws::open(&sim.ws_url("/")).await;
    let lifecycle = ws.next_event().await;
    assert!(
        lifecycle.starts_with(r#"{"time":"#)
            && lifecycle.find("\"self_id\"") < lifecycle.find("\"post_type\""),
        "{lifecycle}"
    );
}

// 9. A handler that ends in `return null` answers `"data": null` (NapCat's `OneBotAction`
// passes the handler's value into the reply); one that returns nothing leaves `data` out.
#[tokio::test]
async fn a_null_handler_answers_data_null_and_a_void_one_no_data() {
    let sim = sim().await;
    let null_handlers = [
        (
            "set_group_card",
            r#"{"group_id":100200,"user_id":123456,"card":"x"}"#,
        ),
        (
            "set_group_ban",
            r#"{"group_id":100200,"user_id":123456,"duration":60}"#,
        ),
        ("set_group_name", r#"{"group_id":100200,"group_name":"n"}"#),
        (
            "set_group_add_option",
            r#"{"group_id":100200,"add_type":1}"#,
        ),
    ];
    let mut ws = Ws::open(&sim.ws_url("/api")).await;
    for (action, params) in null_handlers {
        let (status, body) = http(&sim, action, params).await;
        assert_eq!(status, 200, "{action}: {body}");
        assert!(
            body.contains(r#""data":null"#),
            "{action} over HTTP: {body}"
        );
        let frame = format!(r#"{{"action":"{action}","params":{params},"echo":1}}"#);
        let reply = ws.send(&frame).await;
        assert!(
            reply.contains(r#""data":null"#),
            "{action} over WebSocket: {reply}"
        );
    }
    // A message to recall, then its recall.
    let (_, sent) = http(
        &sim,
        "send_group_msg",
        r#"{"group_id":100200,"message":"hi"}"#,
    )
    .await;
    let id = parse(&sent)["data"]["message_id"].clone();
    let (_, body) = http(&sim, "delete_msg", &format!(r#"{{"message_id":{id}}}"#)).await;
    assert!(body.contains(r#""data":null"#), "delete_msg: {body}");
    // The pokes' handlers return nothing: no `data` key at all.
    let (status, body) = http(
        &sim,
        "group_poke",
        r#"{"group_id":100200,"user_id":123456}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(parse(&body).get("data").is_none(), "group_poke: {body}");
}

// 10. `.handle_quick_operation` checks its context against NapCat's event schema, which lists
// neither `request_type` nor `flag`: TypeBox drops them, so a request's quick operation does
// nothing there (quick-action.ts decides on `request_type`), for friend and group requests
// alike. An HTTP post's answer gets the whole event, so there the request is answered.
#[tokio::test]
async fn a_quick_operation_on_a_request_does_nothing_through_the_action() {
    let sim = sim().await;
    let friends_before = sim.with_state(|s| s.friends_len());
    let context = r#"{"time":1,"self_id":10001,"post_type":"request","request_type":"friend","user_id":"456789","comment":"","flag":"flag_12345"}"#;
    for action in [".handle_quick_operation", ".handle_quick_operation_async"] {
        let body = format!(r#"{{"context":{context},"operation":{{"approve":true}}}}"#);
        let (status, reply) = http(&sim, action, &body).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(parse(&reply)["status"], "ok", "{reply}");
    }
    // The recorded call keeps what was sent; the state is untouched.
    assert_eq!(
        sim.calls()[0].params["context"]["request_type"],
        json!("friend")
    );
    assert_eq!(sim.with_state(|s| s.friends_len()), friends_before);
    // Still pending: answering it by its flag works, and adds the friend.
    let (_, answered) = http(
        &sim,
        "set_friend_add_request",
        r#"{"flag":"flag_12345","approve":true}"#,
    )
    .await;
    assert_eq!(parse(&answered)["status"], "ok", "{answered}");
    assert_eq!(sim.with_state(|s| s.friends_len()), friends_before + 1);
}

// 11. A client's close is answered with its own code, as NapCat's `ws` library does (a client
// that got no answer would see 1006).
#[tokio::test]
async fn a_clients_close_is_answered_with_its_code() {
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let sim = sim().await;
    for code in [CloseCode::Normal, CloseCode::Library(4000)] {
        let mut ws = Ws::open(&sim.ws_url("/")).await;
        ws.next_event().await; // the lifecycle event: the connection is served
        ws.stream
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: "bye".into(),
            })))
            .await
            .unwrap();
        let answer = loop {
            match ws.stream.next().await {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        };
        assert_eq!(answer.map(|f| f.code), Some(code));
    }
}

// 12. A friend request comes as NapCat's `request` event (its flag QQ's request time in
// seconds, as text), and approving it makes a friend and brings the `friend_add` notice of
// QQ's "you are now friends" tip; refusing brings nothing.
#[tokio::test]
async fn an_approved_friend_request_brings_friend_add() {
    let sim = sim().await;
    let mut ws = Ws::open(&sim.ws_url("/")).await;
    ws.next_event().await; // the lifecycle event: the connection is served
    let flag = sim.inject_friend_request(567890, "孙七", "我是孙七");
    let request = ws.next_pushed().await;
    let keys: Vec<&str> = request
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "time",
            "self_id",
            "post_type",
            "request_type",
            "user_id",
            "comment",
            "flag"
        ]
    );
    assert_eq!(request["request_type"], "friend");
    assert_eq!(request["user_id"], 567890);
    assert_eq!(request["comment"], "我是孙七");
    assert_eq!(request["flag"], json!(flag));
    assert!(flag.parse::<i64>().is_ok(), "{flag}");
    let second = sim.inject_friend_request(678901, "周八", "");
    assert_ne!(
        second, flag,
        "two requests in one second keep their own flags"
    );
    ws.next_pushed().await;

    let reply = ws
        .send(&format!(
            r#"{{"action":"set_friend_add_request","params":{{"flag":"{second}","approve":false}},"echo":1}}"#
        ))
        .await;
    assert_eq!(parse(&reply)["status"], "ok", "{reply}");
    let reply = ws
        .send(&format!(
            r#"{{"action":"set_friend_add_request","params":{{"flag":"{flag}","approve":true}},"echo":2}}"#
        ))
        .await;
    assert_eq!(parse(&reply)["status"], "ok", "{reply}");
    let notice = ws.next_pushed().await;
    assert_eq!(
        notice,
        json!({"time": notice["time"], "self_id": 10001, "post_type": "notice",
               "notice_type": "friend_add", "user_id": 567890})
    );
    assert!(sim.with_state(|s| s.friends_len()) == 4);
}

// 13. A message to a group the bot is not in goes to QQ, which refuses it; NapCat's event
// wrapper words the refusal (users of NapCat 4.x report exactly this text). A user QQ cannot
// resolve is refused before sending; anyone the account has met gets a temporary chat.
#[tokio::test]
async fn sending_where_the_bot_cannot_fails_as_napcat_does() {
    let sim = sim().await;
    let refused = "EventChecker Failed: NTEvent serviceAndMethod:NodeIKernelMsgService/sendMsg ListenerName:NodeIKernelMsgListener/onMsgInfoListUpdate EventRet:\n{\n    \"result\": 110,\n    \"errMsg\": \"发送失败，你已被移出该群，请重新加群。\"\n}\n";
    for (action, body) in [
        ("send_group_msg", r#"{"group_id":999999,"message":"hi"}"#),
        ("send_msg", r#"{"group_id":"999999","message":"hi"}"#),
        (
            "send_msg",
            r#"{"message_type":"private","user_id":1,"group_id":999999,"message":"hi"}"#,
        ),
        (
            "send_group_forward_msg",
            r#"{"group_id":999999,"messages":[{"type":"node","data":{"content":"x"}}]}"#,
        ),
    ] {
        let (status, reply) = http(&sim, action, body).await;
        assert_eq!(status, 200, "{reply}");
        let reply = parse(&reply);
        assert_eq!(reply["retcode"], 200, "{action} {body}: {reply}");
        assert_eq!(reply["message"], refused, "{action} {body}");
        assert_eq!(reply["wording"], refused);
    }
    let (_, reply) = http(&sim, "send_private_msg", r#"{"user_id":1,"message":"hi"}"#).await;
    assert_eq!(parse(&reply)["message"], "无法获取用户信息", "{reply}");
    // 888888 owns group 300400 and is no friend: a temporary chat.
    let (_, reply) = http(
        &sim,
        "send_private_msg",
        r#"{"user_id":888888,"message":"hi"}"#,
    )
    .await;
    assert_eq!(parse(&reply)["status"], "ok", "{reply}");
}

// 14. As NapCat's `websocketClients`, the simulator keeps dialing a bot's reverse WebSocket:
// after a failed attempt and after a closed connection it waits its reconnect interval and
// dials again, with NapCat's headers, each connection starting with the lifecycle event; it
// stops when the simulator does.
#[tokio::test]
async fn a_reverse_connection_is_dialed_again_after_a_failure_and_a_close() {
    use tokio::io::AsyncWriteExt;
    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
    let sim = Simulator::start(SimConfig {
        token: Some("t".into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let bot = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/onebot", bot.local_addr().unwrap());
    let dialing = sim.connect_reverse_with_reconnect(&url, Some("t"), Duration::from_millis(10));

    // The bot is not ready yet: the first attempt is refused.
    let (mut refused, _) = bot.accept().await.unwrap();
    refused
        .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    drop(refused);

    for round in 0..2 {
        let (tcp, _) = bot.accept().await.unwrap();
        let mut headers = Vec::new();
        // The signature is tungstenite's `Callback`; its error type is not ours to shrink.
        #[allow(clippy::result_large_err)]
        let capture = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
            for name in ["x-self-id", "authorization", "x-client-role", "user-agent"] {
                let value = req.headers().get(name).and_then(|v| v.to_str().ok());
                headers.push(value.unwrap_or_default().to_owned());
            }
            Ok(resp)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(tcp, capture)
            .await
            .unwrap();
        assert_eq!(headers, ["10001", "Bearer t", "Universal", "OneBot/11"]);
        let first = loop {
            if let Some(Ok(Message::Text(t))) = ws.next().await {
                break parse(t.as_str());
            }
        };
        assert_eq!(first["meta_event_type"], "lifecycle", "round {round}");
        ws.send(Message::Text(
            r#"{"action":"get_login_info","echo":"e"}"#.into(),
        ))
        .await
        .unwrap();
        let reply = loop {
            if let Some(Ok(Message::Text(t))) = ws.next().await {
                let v = parse(t.as_str());
                if v.get("echo").is_some() {
                    break v;
                }
            }
        };
        assert_eq!(reply["data"]["user_id"], 10001);
        // The bot goes away; the simulator dials again.
        ws.close(None).await.unwrap();
    }
    drop(sim);
    dialing.await.unwrap();
}
