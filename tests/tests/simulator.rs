//! The simulator behaves as NapCat does on each transport: retcodes for bad parameters,
//! handler errors and unknown actions, the token rules, and scripted faults reaching the
//! client as the right error.

use api_core::UserId;
use std::time::Duration;

use api_core::{Client, Error};
use api_sim::{Fault, SimConfig, Simulator};
use api_tests::{Via, over_every_transport, setup, setup_with};
use serde_json::json;

fn retcodes(via: Via) -> (i64, i64, i64) {
    // (bad parameters, handler error, unknown action)
    match via {
        Via::Http => (400, 200, 200),
        Via::Ws | Via::ReverseWs => (1400, 1200, 1404),
    }
}

async fn bad_parameters_get_the_transports_retcode(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    match api.call_json("send_like", json!({"times": 1})).await {
        Err(Error::Api {
            retcode, message, ..
        }) => {
            assert_eq!(retcode, retcodes(via).0);
            // NapCat's wording: TypeBox's first message, without the key's name.
            assert_eq!(
                message,
                "Schema compilation error: Expected required property"
            );
        }
        other => panic!("expected Api, got {other:?}"),
    }
    // Numbers given as text are converted, as NapCat's schemas do.
    api.call_json("send_like", json!({"user_id": "123456", "times": "2"}))
        .await
        .unwrap();
}

async fn handler_errors_get_the_transports_retcode(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    match api.nc_get_user_status(UserId(999)).await {
        Err(Error::Api {
            retcode, message, ..
        }) => {
            assert_eq!(retcode, retcodes(via).1);
            assert_eq!(message, "无法获取用户状态");
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

async fn unknown_actions_get_the_transports_retcode(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    match api.call_json("no_such_action", json!({})).await {
        Err(Error::Api {
            retcode, message, ..
        }) => {
            assert_eq!(retcode, retcodes(via).2);
            assert!(message.ends_with("no_such_action"), "{message}");
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

async fn state_changes_are_seen_by_later_calls(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    api.set_friend_add_request("flag_12345", true)
        .remark("新朋友")
        .await
        .unwrap();
    api.delete_friend(UserId(123456)).await.unwrap();
    let friends = api.get_friend_list().await.unwrap();
    let ids: Vec<i64> = friends.iter().map(|f| f.user_id.get()).collect();
    assert_eq!(ids, vec![234567, 345678, 456789]);
    // The request was used up.
    assert!(matches!(
        api.set_friend_add_request("flag_12345", true).await,
        Err(Error::Api { .. })
    ));
    api.set_qq_profile("新名字", "", api_core::types::Sex::Female)
        .await
        .unwrap();
    assert_eq!(api.get_login_info().await.unwrap().nickname, "新名字");
}

async fn a_scripted_failure_reaches_the_client(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    sim.script(
        "get_status",
        Fault::Envelope(
            json!({"status":"failed","retcode":1200,"data":null,"message":"boom","wording":"boom"}),
        ),
    );
    match api.get_status().await {
        Err(Error::Api {
            retcode, message, ..
        }) => assert_eq!((retcode, message.as_str()), (1200, "boom")),
        other => panic!("expected Api, got {other:?}"),
    }
    sim.script("get_status", Fault::Delay(Duration::from_millis(300)));
    match api.get_status().timeout(Duration::from_millis(50)).await {
        Err(Error::Timeout { .. }) => {}
        other => panic!("expected Timeout, got {other:?}"),
    }
    sim.script(
        "get_status",
        Fault::Envelope(json!({"status":"ok","retcode":0,"data":{"online":"maybe"}})),
    );
    assert!(matches!(api.get_status().await, Err(Error::Decode { .. })));
    assert!(api.get_status().await.unwrap().online);
}

async fn the_right_token_is_accepted(via: Via) {
    let (_sim, api, _keep) = setup_with(
        via,
        SimConfig {
            token: Some("s3cret".into()),
            ..SimConfig::default()
        },
    )
    .await;
    assert_eq!(api.get_login_info().await.unwrap().user_id, 10001);
}

async fn params_are_checked_as_napcat_checks_them(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let schema_error = |result: Result<serde_json::Value, Error>, expected: &str| match result {
        Err(Error::Api {
            retcode, message, ..
        }) => {
            assert_eq!(retcode, retcodes(via).0);
            assert_eq!(message, format!("Schema compilation error: {expected}"));
        }
        other => panic!("expected a schema failure, got {other:?}"),
    };
    // `null` is not "left out" to NapCat's schema.
    schema_error(
        api.call_json(
            "set_friend_add_request",
            json!({"flag": "flag_12345", "approve": true, "remark": null}),
        )
        .await,
        "Expected string",
    );
    assert_eq!(
        sim.with_state(|s| s.friends_len()),
        3,
        "a refused request changes nothing"
    );
    // NapCat's own types: `sex` is `number|string` there, so any number passes the schema.
    api.call_json("set_qq_profile", json!({"nickname": "x", "sex": 2}))
        .await
        .unwrap();
    schema_error(
        api.call_json("set_qq_profile", json!({"nickname": "x", "sex": [2]}))
            .await,
        "Expected union value",
    );
    // Keys NapCat also accepts are checked and used.
    schema_error(
        api.call_json("delete_friend", json!({"friend_id": {}}))
            .await,
        "Expected union value",
    );
    api.call_json("delete_friend", json!({"friend_id": "345678"}))
        .await
        .unwrap();
    assert_eq!(sim.with_state(|s| s.friends_len()), 2);
    // An action NapCat does not check takes anything.
    api.call_json("_mark_all_as_read", json!({"anything": [1, 2]}))
        .await
        .unwrap();
    // Deprecated names run the same action.
    let ark = api
        .call_json("ArkShareGroup", json!({"group_id": "100200"}))
        .await
        .unwrap();
    assert!(ark.as_str().is_some_and(|a| a.contains("Rust 学习群")));
}

async fn actions_without_a_handler_answer_their_reply_example(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    let spec = api_spec::builtin();
    let answered: Vec<_> = spec
        .actions()
        .map(|(_, a)| a)
        .filter(|a| !api_sim::handled_actions().any(|h| h == a.wire_name))
        .collect();
    assert!(
        !answered.is_empty(),
        "some action is answered by its example"
    );
    for a in answered {
        let data = api.call_json(a.wire_name.as_str(), json!({})).await;
        match (&a.napcat.reply, data) {
            (Some(reply), Ok(data)) => assert_eq!(&data, reply, "{}", a.wire_name),
            (None, Ok(data)) => assert!(data.is_null(), "{}: {data}", a.wire_name),
            (_, Err(e))
                if a.params
                    .iter()
                    .any(|p| p.presence == api_spec::Presence::Required) =>
            {
                assert!(matches!(e, Error::Api { .. }), "{}: {e:?}", a.wire_name)
            }
            (_, Err(e)) => panic!("{}: {e:?}", a.wire_name),
        }
    }
}

over_every_transport! {
    params_are_checked_as_napcat_checks_them,
    actions_without_a_handler_answer_their_reply_example,
    bad_parameters_get_the_transports_retcode,
    handler_errors_get_the_transports_retcode,
    unknown_actions_get_the_transports_retcode,
    state_changes_are_seen_by_later_calls,
    a_scripted_failure_reaches_the_client,
    the_right_token_is_accepted,
}

#[tokio::test]
async fn heartbeats_arrive_on_event_paths() {
    let sim = api_sim::Simulator::start(SimConfig {
        heartbeat: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let api = api_core::Client::builder()
        .ws_url(sim.ws_url("/"))
        .build()
        .unwrap();
    let mut events = api.events();
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        let ev = tokio::time::timeout(Duration::from_secs(2), events.recv())
            .await
            .unwrap()
            .unwrap();
        match ev {
            api_core::types::Event::MetaEvent(m) => kinds.push(m.tag().to_owned()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(kinds, vec!["lifecycle", "heartbeat", "heartbeat"]);
}

#[tokio::test]
async fn http_root_and_envelope_shape_match_napcat() {
    let sim = api_sim::Simulator::start(SimConfig::default())
        .await
        .unwrap();
    let http = raw_http_get(&format!("{}/", sim.http_url())).await;
    assert!(http.contains("NapCat4 Is Running"), "{http}");
    let api = api_core::Client::builder()
        .base_url(sim.http_url())
        .build()
        .unwrap();
    let reply = api.call_raw("get_status", &json!({}), None).await.unwrap();
    // NapCat's fields in NapCat's key order.
    let text = String::from_utf8(reply.body.to_vec()).unwrap();
    let positions: Vec<usize> = [
        "status", "retcode", "data", "message", "wording", "echo", "stream",
    ]
    .iter()
    .map(|k| {
        text.find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("{k} in {text}"))
    })
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    // `send_like` returns nothing: the data key is absent, not null.
    let reply = api
        .call_raw("send_like", &json!({"user_id": 1}), None)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert!(body.get("data").is_none(), "{body}");
}

#[test]
fn every_action_has_a_handler_or_a_reply_and_every_handler_an_action() {
    let spec = api_spec::builtin();
    for (_, a) in spec.actions() {
        let handled = api_sim::handled_actions().any(|h| h == a.wire_name);
        let answered = a.napcat.reply.is_some() || a.returns == api_spec::TypeRef::Unit;
        assert!(
            handled || answered,
            "{}: no stateful handler and no reply example",
            a.wire_name
        );
    }
    for name in api_sim::handled_actions() {
        assert!(
            spec.actions().any(|(_, a)| a.wire_name == name),
            "handler for `{name}`, which is no wire name of the spec"
        );
    }
}

async fn raw_http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn a_restart_keeps_the_sockets_and_starts_afresh() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (http, ws) = (sim.http_addr(), sim.ws_addr());
    let api = Client::builder().base_url(sim.http_url()).build().unwrap();
    api.set_friend_remark(UserId(123456), "before")
        .await
        .unwrap();
    let sim = sim.restart().unwrap();
    assert_eq!((sim.http_addr(), sim.ws_addr()), (http, ws));
    assert!(sim.calls().is_empty(), "a fresh record");
    // A new connection (the old one was closed) reaches the fresh state.
    let api = Client::builder().base_url(sim.http_url()).build().unwrap();
    let friends = api.get_friend_list().await.unwrap();
    assert_eq!(friends[0].remark.as_deref(), Some("同学-张三"));
    let ws_api = Client::builder()
        .ws_url(sim.ws_url("/api"))
        .connect()
        .await
        .unwrap();
    assert!(ws_api.get_status().await.unwrap().online);
}
