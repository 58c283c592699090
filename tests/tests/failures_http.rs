//! Every failure kind of the HTTP client, against a real server on loopback, and what each
//! error carries.

use api_core::{GroupId, UserId};
use std::time::Duration;

use api_core::Error;
use api_sim::{Fault, SimConfig};
use api_tests::{sim_and_client, sim_and_client_with};
use serde_json::json;

#[tokio::test]
async fn data_absent_is_fine_for_unit_returns() {
    let (sim, api) = sim_and_client().await;
    sim.script(
        "send_like",
        Fault::Envelope(json!({"status":"ok","retcode":0,"message":"","wording":"","echo":"x","stream":"normal-action"})),
    );
    api.send_like(UserId(1)).await.unwrap();
    sim.script(
        "send_like",
        Fault::Envelope(json!({"status":"ok","retcode":0,"data":null,"message":""})),
    );
    api.send_like(UserId(1)).await.unwrap();
}

#[tokio::test]
async fn bad_parameters_are_api_errors_with_retcode_400() {
    let (_sim, api) = sim_and_client().await;
    // The simulator validates like NapCat: `nickname` is required; call it raw without it.
    let err = api
        .call_json("set_qq_profile", json!({}))
        .await
        .unwrap_err();
    match err {
        Error::Api {
            action,
            retcode,
            message,
            wording,
            body,
        } => {
            assert_eq!(action, "set_qq_profile");
            assert_eq!(retcode, 400);
            assert!(message.contains("Expected required property"), "{message}");
            assert_eq!(wording, message);
            assert!(!body.is_empty());
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

#[tokio::test]
async fn handler_errors_are_api_errors_with_retcode_200() {
    let (_sim, api) = sim_and_client().await;
    let err = api.set_friend_remark(UserId(999), "x").await.unwrap_err();
    match &err {
        Error::Api {
            retcode: 200,
            message,
            ..
        } => assert!(message.contains("不是好友"), "{message}"),
        other => panic!("expected Api retcode 200, got {other:?}"),
    }
    assert!(err.to_string().contains("set_friend_remark"), "{err}");
}

#[tokio::test]
async fn unknown_actions_answer_as_napcat_does() {
    let (_sim, api) = sim_and_client().await;
    match api
        .call_json("no_such_action", json!({}))
        .await
        .unwrap_err()
    {
        Error::Api {
            action,
            retcode,
            message,
            ..
        } => {
            assert_eq!((action.as_str(), retcode), ("no_such_action", 200));
            assert_eq!(message, "不支持的Api no_such_action");
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_token_is_an_auth_error() {
    let (sim, _) = sim_and_client_with(SimConfig {
        token: Some("right".into()),
        ..Default::default()
    })
    .await;
    let api = api_core::Client::builder()
        .base_url(sim.http_url())
        .access_token("wrong")
        .build()
        .unwrap();
    match api.get_login_info().await.unwrap_err() {
        Error::Auth {
            action,
            message,
            http_status,
        } => {
            assert_eq!(action, "get_login_info");
            assert_eq!(message, "token verify failed!");
            assert_eq!(http_status, Some(403));
        }
        other => panic!("expected Auth, got {other:?}"),
    }
}

#[tokio::test]
async fn right_token_is_sent_as_bearer() {
    let (_sim, api) = sim_and_client_with(SimConfig {
        token: Some("s3cret".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(api.get_login_info().await.unwrap().user_id, 10001);
}

#[tokio::test]
async fn invalid_json_400_keeps_status_and_body() {
    let (sim, api) = sim_and_client().await;
    sim.script(
        "get_status",
        Fault::Raw {
            status: 400,
            body: "Invalid JSON".into(),
        },
    );
    match api.get_status().await.unwrap_err() {
        Error::BadReply {
            action,
            http_status,
            body,
            ..
        } => {
            assert_eq!(action, "get_status");
            assert_eq!(http_status, Some(400));
            assert_eq!(&body[..], b"Invalid JSON");
        }
        other => panic!("expected BadReply, got {other:?}"),
    }
}

#[tokio::test]
async fn other_statuses_keep_status_and_body() {
    let (sim, api) = sim_and_client().await;
    let html = "<html><body>502 Bad Gateway</body></html>";
    sim.script(
        "get_status",
        Fault::Raw {
            status: 502,
            body: html.into(),
        },
    );
    let err = api.get_status().await.unwrap_err();
    match &err {
        Error::BadReply {
            http_status, body, ..
        } => {
            assert_eq!(*http_status, Some(502));
            assert_eq!(&body[..], html.as_bytes());
        }
        other => panic!("expected BadReply, got {other:?}"),
    }
    assert!(err.to_string().contains("HTTP 502"), "{err}");
}

#[tokio::test]
async fn non_json_and_truncated_bodies_keep_status_and_body() {
    let (sim, api) = sim_and_client().await;
    for body in [
        "hello",
        r#"{"status":"ok","retcode":0,"data":{"online":tr"#,
        "",
    ] {
        sim.script(
            "get_status",
            Fault::Raw {
                status: 200,
                body: body.into(),
            },
        );
        match api.get_status().await.unwrap_err() {
            Error::BadReply {
                http_status,
                body: got,
                reason,
                ..
            } => {
                assert_eq!(http_status, Some(200));
                assert_eq!(&got[..], body.as_bytes());
                assert!(!reason.is_empty());
            }
            other => panic!("expected BadReply for {body:?}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn mismatched_data_is_a_decode_error_naming_the_field() {
    let (sim, api) = sim_and_client().await;
    let reply = json!({"status":"ok","retcode":0,"data":[{"user_id":1,"nickname":"a"},{"user_id":{"x":1},"nickname":"b"}],"message":""});
    sim.script("get_friend_list", Fault::Envelope(reply.clone()));
    match api.get_friend_list().await.unwrap_err() {
        Error::Decode {
            action,
            path,
            message,
            body,
        } => {
            assert_eq!(action, "get_friend_list");
            assert_eq!(path, "data[1].user_id");
            assert!(!message.is_empty());
            assert_eq!(
                serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
                reply
            );
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn missing_required_field_is_a_decode_error() {
    let (sim, api) = sim_and_client().await;
    sim.script(
        "nc_get_user_status",
        Fault::Envelope(json!({"status":"ok","retcode":0,"data":{"status":10}})),
    );
    match api.nc_get_user_status(UserId(1)).await.unwrap_err() {
        Error::Decode { path, message, .. } => {
            assert_eq!(path, "data");
            assert!(message.contains("ext_status"), "{message}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn async_replies_are_recognised_not_failures() {
    let (sim, api) = sim_and_client().await;
    sim.script(
        "send_like",
        Fault::Envelope(json!({"status":"async","retcode":1,"data":null,"message":""})),
    );
    api.send_like(UserId(123456))
        .await
        .expect("an accepted unit call is a success");
    sim.script(
        "get_friend_list",
        Fault::Envelope(json!({"status":"async","retcode":1,"message":""})),
    );
    match api.get_friend_list().await.unwrap_err() {
        Error::Decode { message, .. } => assert!(message.contains("background"), "{message}"),
        other => panic!("expected Decode explaining the async reply, got {other:?}"),
    }
}

#[tokio::test]
async fn aliases_reach_the_same_handler() {
    let (_sim, api) = sim_and_client().await;
    let data = api
        .call_json("get_login_info_async", json!({}))
        .await
        .unwrap();
    assert_eq!(data["user_id"], json!(10001));
    let data = api
        .call_json("get_login_info_rate_limited", json!({}))
        .await
        .unwrap();
    assert_eq!(data["nickname"], json!("模拟机器人"));
}

#[tokio::test]
async fn unit_actions_data_is_reachable_through_call_json() {
    let (_sim, api) = sim_and_client().await;
    let data = api
        .call_json("set_self_longnick", json!({"longNick": "x"}))
        .await
        .unwrap();
    assert_eq!(data, json!({"result": 0, "errMsg": ""}));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let api = api_core::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    match api.get_status().await.unwrap_err() {
        Error::Transport { action, .. } => assert_eq!(action, "get_status"),
        other => panic!("expected Transport, got {other:?}"),
    }
}

#[tokio::test]
async fn timeouts_name_action_and_duration() {
    let (sim, _) = sim_and_client().await;
    let api = api_core::Client::builder()
        .base_url(sim.http_url())
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    sim.script("get_status", Fault::Hang);
    let started = std::time::Instant::now();
    match api.get_status().await.unwrap_err() {
        Error::Timeout { action, after } => {
            assert_eq!(action, "get_status");
            assert_eq!(after, Duration::from_millis(150));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    // A per-call override wins over the client default.
    sim.script("get_status", Fault::Hang);
    match api
        .get_status()
        .timeout(Duration::from_millis(50))
        .await
        .unwrap_err()
    {
        Error::Timeout { after, .. } => assert_eq!(after, Duration::from_millis(50)),
        other => panic!("expected Timeout, got {other:?}"),
    }
    // The next call works.
    assert!(api.get_status().await.unwrap().online);
}

#[tokio::test]
async fn empty_required_text_is_rejected_before_sending() {
    let (sim, api) = sim_and_client().await;
    match api.set_friend_add_request("  ", true).await.unwrap_err() {
        Error::InvalidArgument { action, param, .. } => {
            assert_eq!(
                (action.as_str(), param.as_str()),
                ("set_friend_add_request", "flag")
            );
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert!(sim.calls().is_empty());
}

#[tokio::test]
async fn bad_base_url_is_a_config_error() {
    assert!(matches!(
        api_core::Client::builder().base_url("not a url").build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        api_core::Client::builder().base_url("ftp://x").build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        api_core::Client::builder().build(),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn token_never_appears_in_debug_or_errors() {
    let secret = "tok-very-secret-123";
    let builder = api_core::Client::builder()
        .base_url("http://127.0.0.1:1")
        .access_token(secret);
    assert!(!format!("{builder:?}").contains(secret));
    let api = builder.build().unwrap();
    assert!(!format!("{api:?}").contains(secret));
    let err = api.get_status().await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains(secret));
}

#[tokio::test]
async fn replies_over_the_size_limit_are_bad_replies_and_the_next_call_works() {
    let (sim, _) = sim_and_client().await;
    let api = api_core::Client::builder()
        .base_url(sim.http_url())
        .max_reply_size(64 * 1024)
        .build()
        .unwrap();
    let huge = format!(
        r#"{{"status":"ok","retcode":0,"data":"{}"}}"#,
        "x".repeat(1024 * 1024)
    );
    sim.script(
        "send_group_ark_share",
        Fault::Raw {
            status: 200,
            body: huge,
        },
    );
    match api.ask_share_group(GroupId(100200)).await.unwrap_err() {
        Error::BadReply {
            reason,
            body,
            http_status,
            ..
        } => {
            assert!(reason.contains("65536 bytes"), "{reason}");
            assert!(body.len() <= 64 * 1024);
            assert_eq!(http_status, Some(200));
        }
        other => panic!("expected BadReply, got {other:?}"),
    }
    assert!(
        api.ask_share_group(GroupId(100200))
            .await
            .unwrap()
            .contains("Rust 学习群")
    );
}

#[tokio::test]
async fn a_body_holding_the_envelope_twice_keeps_the_first() {
    let (sim, api) = sim_and_client().await;
    let once = json!({"status": "ok", "retcode": 0, "data": {"online": true, "good": true}, "message": "", "wording": ""});
    let twice = format!("{once}\r\n\r\n{once}\r\n\r\n");
    sim.script(
        "get_status",
        Fault::Raw {
            status: 200,
            body: twice.clone(),
        },
    );
    let status = api.get_status().await.unwrap();
    assert!(status.online);
    // The second envelope is not thrown away: the raw call returns the whole body.
    sim.script(
        "get_status",
        Fault::Raw {
            status: 200,
            body: twice.clone(),
        },
    );
    let raw = api.call_raw("get_status", &json!({}), None).await.unwrap();
    assert_eq!(raw.body, twice.as_bytes());
}
