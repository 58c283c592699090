//! Each Account action through the generated method, over HTTP, forward WebSocket
//! and reverse WebSocket against the simulator: the exact wire action and params, and the
//! typed result of NapCat's reply, the same on every transport.

use api_core::Uploadable;
use api_core::types::{ExtStatus, OnlineStatus, Sex};
use api_core::{GroupId, UserId};
use api_tests::{Via, only_call, over_every_transport, setup};
use serde_json::json;

async fn set_qq_profile_sends_sex_as_number(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.set_qq_profile("阿猫", "保持学习", Sex::Male)
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "set_qq_profile".into(),
            json!({"nickname": "阿猫", "personal_note": "保持学习", "sex": 1})
        )
    );
    let me = api.get_stranger_info(UserId(10001)).await.unwrap();
    assert_eq!(me.nickname, "阿猫");
    assert_eq!(me.sex, Some(Sex::Male));
    assert_eq!(me.long_nick.as_deref(), Some("保持学习"));
}

async fn set_online_status_uses_battery_status(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.set_online_status(OnlineStatus::Busy, ExtStatus::None, 100)
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "set_online_status".into(),
            json!({"status": 50, "ext_status": 0, "battery_status": 100})
        )
    );
    assert_eq!(
        api.nc_get_user_status(UserId(10001)).await.unwrap().status,
        OnlineStatus::Busy
    );
    // The seed page's example status, 11, is none NapCat lists: it is sent as it is and reads
    // back as itself.
    sim.take_calls();
    api.set_online_status(OnlineStatus::Other(11), ExtStatus::ListeningToMusic, 100)
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"status": 11, "ext_status": 1028, "battery_status": 100})
    );
    let status = api.nc_get_user_status(UserId(10001)).await.unwrap();
    assert_eq!(
        (status.status, status.ext_status),
        (OnlineStatus::Other(11), ExtStatus::ListeningToMusic)
    );
}

async fn set_avatar_is_set_qq_avatar_and_reads_local_files_as_base64(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.set_avatar("https://example.com/avatar.jpg")
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "set_qq_avatar".into(),
            json!({"file": "https://example.com/avatar.jpg"})
        )
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.png");
    std::fs::write(&path, b"PNGDATA").unwrap();
    api.set_avatar(Uploadable::path(&path)).await.unwrap();
    assert_eq!(only_call(&sim).1, json!({"file": "base64://UE5HREFUQQ=="}));
    assert_eq!(
        sim.with_state(|s| s.avatar().map(str::to_owned)).as_deref(),
        Some("base64://UE5HREFUQQ==")
    );

    api.set_avatar("data:image/png;base64,UE5H").await.unwrap();
    assert_eq!(only_call(&sim).1, json!({"file": "base64://UE5H"}));

    api.set_avatar(b"PNG".to_vec()).await.unwrap();
    assert_eq!(only_call(&sim).1, json!({"file": "base64://UE5H"}));

    api.set_avatar(Uploadable::file_uri(&path)).await.unwrap();
    let sent = only_call(&sim).1["file"].as_str().unwrap().to_owned();
    assert!(
        sent.starts_with("file:///") && sent.ends_with("/a.png"),
        "{sent}"
    );
}

async fn set_avatar_with_missing_file_fails_before_sending(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let err = api
        .set_avatar(Uploadable::path("/no/such/avatar.png"))
        .await
        .unwrap_err();
    match &err {
        api_core::Error::InvalidArgument {
            action,
            param,
            reason,
        } => {
            assert_eq!(
                action, "set_qq_avatar",
                "the wire name, as in every other variant"
            );
            assert_eq!(param, "file");
            assert!(reason.contains("/no/such/avatar.png"), "{reason}");
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert!(sim.calls().is_empty(), "nothing may be sent");
}

async fn set_self_longnick_sends_long_nick_camel_case(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.set_self_longnick("写代码，爱生活").await.unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "set_self_longnick".into(),
            json!({"longNick": "写代码，爱生活"})
        )
    );
}

async fn get_login_info_turns_numeric_id_into_text(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let info = api.get_login_info().await.unwrap();
    assert_eq!(only_call(&sim), ("get_login_info".into(), json!({})));
    assert_eq!(info.user_id, 10001);
    assert_eq!(info.nickname, "模拟机器人");
}

async fn get_status_is_typed(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let status = api.get_status().await.unwrap();
    assert_eq!(only_call(&sim), ("get_status".into(), json!({})));
    assert!(status.online && status.good);
    assert_eq!(status.stat, Some(json!({})));
}

async fn get_friends_with_cat_is_get_friends_with_category(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let cats = api.get_friends_with_cat().await.unwrap();
    assert_eq!(
        only_call(&sim),
        ("get_friends_with_category".into(), json!({}))
    );
    assert_eq!(cats.len(), 2);
    assert_eq!(cats[1].category_name, "同学");
    assert_eq!(cats[1].friends[0].user_id, 123456);
    assert_eq!(cats[1].friends[0].sex, Some(Sex::Male));
    assert_eq!(cats[0].sort_id, Some(0));
    // Fields the spec does not list are kept.
    assert_eq!(cats[1].friends[0].extra["categoryName"], json!("同学"));
}

async fn send_like_sends_times_only_when_set(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    // Unset, `times` is left out and NapCat's default (1) applies.
    api.send_like(UserId(123456)).await.unwrap();
    assert_eq!(
        only_call(&sim),
        ("send_like".into(), json!({"user_id": 123456}))
    );
    api.send_like(UserId(123456)).times(5).await.unwrap();
    assert_eq!(only_call(&sim).1, json!({"user_id": 123456, "times": 5}));
    assert_eq!(sim.with_state(|s| s.likes()[&123456]), 6);
}

async fn set_friend_add_request_approves_into_friend_list(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.set_friend_add_request("flag_12345", true)
        .remark("同学")
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "set_friend_add_request".into(),
            json!({"flag": "flag_12345", "approve": true, "remark": "同学"})
        )
    );
    let friends = api.get_friend_list().await.unwrap();
    let added = friends
        .iter()
        .find(|f| f.user_id == 456789)
        .expect("approved friend listed");
    assert_eq!(added.remark.as_deref(), Some("同学"));
}

async fn set_friend_add_request_leaves_out_unset_remark(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.set_friend_add_request("flag_12345", false)
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"flag": "flag_12345", "approve": false})
    );
    let friends = api.get_friend_list().await.unwrap();
    assert!(friends.iter().all(|f| f.user_id != 456789));
}

async fn get_friend_list_is_typed_and_keeps_extra_fields(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let friends = api.get_friend_list().await.unwrap();
    assert_eq!(only_call(&sim), ("get_friend_list".into(), json!({})));
    assert_eq!(friends.len(), 3);
    let zs = &friends[0];
    assert_eq!((zs.user_id, zs.nickname.as_str()), (UserId(123456), "张三"));
    assert_eq!(zs.remark.as_deref(), Some("同学-张三"));
    assert_eq!(zs.level, Some(32));
    assert_eq!(friends[2].sex, Some(Sex::Unknown));
    assert_eq!(friends[1].sex, Some(Sex::Female));
}

async fn delete_friend_sends_temp_flags_only_when_set(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.delete_friend(UserId(234567))
        .block(true)
        .both(true)
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "delete_friend".into(),
            json!({"user_id": 234567, "temp_block": true, "temp_both_del": true})
        )
    );
    assert!(sim.with_state(|s| s.blocked().contains(&234567)));
    let friends = api.get_friend_list().await.unwrap();
    assert!(friends.iter().all(|f| f.user_id != 234567));

    // Unset, the flags are left out and NapCat's defaults (neither) apply.
    api.delete_friend(UserId(345678)).await.unwrap();
    assert_eq!(
        sim.take_calls().last().unwrap().params,
        json!({"user_id": 345678})
    );
    assert!(!sim.with_state(|s| s.blocked().contains(&345678)));
}

async fn delete_friend_of_a_stranger_is_an_api_error(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    match api.delete_friend(UserId(999)).await.unwrap_err() {
        api_core::Error::Api {
            action,
            retcode,
            message,
            body,
            ..
        } => {
            assert_eq!(action, "delete_friend");
            assert_eq!(retcode, 0);
            assert_eq!(message, "不是好友");
            assert!(String::from_utf8_lossy(&body).contains("\"valid\":false"));
        }
        other => panic!("expected Api error, got {other:?}"),
    }
}

async fn set_friend_remark_changes_the_list(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.set_friend_remark(UserId(123456), "同学-张三丰")
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "set_friend_remark".into(),
            json!({"user_id": 123456, "remark": "同学-张三丰"})
        )
    );
    let friends = api.get_friend_list().await.unwrap();
    assert_eq!(friends[0].remark.as_deref(), Some("同学-张三丰"));
}

async fn mark_group_and_private_msg_as_read(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.mark_group_msg_as_read(GroupId(100200)).await.unwrap();
    assert_eq!(
        only_call(&sim),
        ("mark_group_msg_as_read".into(), json!({"group_id": 100200}))
    );
    api.mark_private_msg_as_read(UserId(123456)).await.unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "mark_private_msg_as_read".into(),
            json!({"user_id": 123456})
        )
    );
    let read = sim.with_state(|s| s.read_markers().clone());
    assert!(read.contains("group:100200") && read.contains("user:123456"));
}

async fn create_collection_sends_raw_data_camel_case(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.create_collection("{...}", "重要记录").await.unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "create_collection".into(),
            json!({"rawData": "{...}", "brief": "重要记录"})
        )
    );
    assert_eq!(sim.with_state(|s| s.collections().len()), 1);
}

async fn get_recent_contact_reads_lastest_msg(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let all = api.get_recent_contact().await.unwrap();
    assert_eq!(only_call(&sim), ("get_recent_contact".into(), json!({})));
    assert_eq!(all.len(), 5);
    let two = api.get_recent_contact().count(2).await.unwrap();
    assert_eq!(only_call(&sim).1, json!({"count": 2}));
    assert_eq!(two.len(), 2);
    let first = &two[0];
    assert!(first.peer_uin.parse::<i64>().is_ok());
    assert_eq!(
        first.latest_msg.as_ref().unwrap()["raw_message"],
        json!("你好")
    );
}

async fn mark_all_as_read_is_underscore_wire_name(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.mark_all_as_read().await.unwrap();
    assert_eq!(only_call(&sim), ("_mark_all_as_read".into(), json!({})));
    assert!(sim.with_state(|s| s.read_markers().contains("all")));
}

async fn ask_share_group_is_send_group_ark_share_returning_ark_json(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let ark = api.ask_share_group(GroupId(100200)).await.unwrap();
    assert_eq!(
        only_call(&sim),
        ("send_group_ark_share".into(), json!({"group_id": 100200}))
    );
    let parsed: serde_json::Value = serde_json::from_str(&ark).unwrap();
    assert_eq!(parsed["meta"]["contact"]["nickname"], json!("Rust 学习群"));
}

async fn get_stranger_info_keeps_raw_nt_fields(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let info = api.get_stranger_info(UserId(123456)).await.unwrap();
    assert_eq!(
        only_call(&sim),
        ("get_stranger_info".into(), json!({"user_id": 123456}))
    );
    assert_eq!(info.user_id, 123456);
    assert_eq!(info.level, Some(32));
    assert_eq!(info.extra["uin"], json!("123456"));
    assert_eq!(info.extra["nick"], json!("张三"));
}

async fn fetch_custom_face_wraps_the_plain_list(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let faces = api.fetch_custom_face().await.unwrap();
    assert_eq!(only_call(&sim), ("fetch_custom_face".into(), json!({})));
    assert_eq!(faces.urls.len(), 48);
    assert_eq!(faces.urls[0], "https://faces.example/face1.png");
    let few = api.fetch_custom_face().count(3).await.unwrap();
    assert_eq!(only_call(&sim).1, json!({"count": 3}));
    assert_eq!(few.urls.len(), 3);
}

async fn nc_get_user_status_is_typed(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let st = api.nc_get_user_status(UserId(123456)).await.unwrap();
    assert_eq!(
        only_call(&sim),
        ("nc_get_user_status".into(), json!({"user_id": 123456}))
    );
    assert_eq!(
        (st.status, st.ext_status),
        (OnlineStatus::Online, ExtStatus::None)
    );
}

#[tokio::test]
async fn action_table_lists_every_spec_action() {
    let spec = api_spec::load_builtin().unwrap();
    let names: Vec<_> = spec.actions().map(|(_, a)| a.rust_name.as_str()).collect();
    let table: Vec<_> = api_core::ACTIONS.iter().map(|a| a.rust_name).collect();
    assert_eq!(table, names);
    let like = api_core::ACTIONS
        .iter()
        .find(|a| a.rust_name == "send_like")
        .unwrap();
    assert_eq!(like.wire_name, "send_like");
    assert_eq!(like.params[1].default_json, Some("1"));
    let avatar = api_core::ACTIONS
        .iter()
        .find(|a| a.rust_name == "set_avatar")
        .unwrap();
    assert_eq!(avatar.wire_name, "set_qq_avatar");
}

async fn mark_msg_as_read_sends_the_one_chosen_key(via: Via) {
    use api_core::types::ReadTarget;
    let (sim, api, _keep) = setup(via).await;
    api.mark_msg_as_read(ReadTarget::Message("777".into()))
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        ("mark_msg_as_read".into(), json!({"message_id": "777"}))
    );
    api.mark_msg_as_read(ReadTarget::User(UserId(123456)))
        .await
        .unwrap();
    assert_eq!(only_call(&sim).1, json!({"user_id": 123456}));
    api.mark_msg_as_read(ReadTarget::Group(GroupId(100200)))
        .await
        .unwrap();
    assert_eq!(only_call(&sim).1, json!({"group_id": 100200}));
    let read = sim.with_state(|s| s.read_markers().clone());
    for marker in ["message:777", "user:123456", "group:100200"] {
        assert!(read.contains(marker), "{marker} in {read:?}");
    }
}

async fn deprecated_action_names_reach_the_same_action(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let by_alias = api_core::action_by_name("ArkShareGroup").unwrap();
    assert_eq!(by_alias.wire_name(), "send_group_ark_share");
    let ark = api
        .call_json("ArkShareGroup", json!({"group_id": 100200}))
        .await
        .unwrap();
    assert!(ark.as_str().unwrap().contains("Rust 学习群"), "{ark}");
    assert_eq!(only_call(&sim).0, "ArkShareGroup");
}

async fn calls_travel_over_the_chosen_transport(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    api.get_status().await.unwrap();
    let expected = match via {
        Via::Http => "http",
        Via::Ws => "ws",
        Via::ReverseWs => "ws-reverse",
    };
    assert_eq!(sim.take_calls()[0].transport, expected);
}

over_every_transport! {
    calls_travel_over_the_chosen_transport,
    mark_msg_as_read_sends_the_one_chosen_key,
    deprecated_action_names_reach_the_same_action,
    set_qq_profile_sends_sex_as_number,
    set_online_status_uses_battery_status,
    set_avatar_is_set_qq_avatar_and_reads_local_files_as_base64,
    set_avatar_with_missing_file_fails_before_sending,
    set_self_longnick_sends_long_nick_camel_case,
    get_login_info_turns_numeric_id_into_text,
    get_status_is_typed,
    get_friends_with_cat_is_get_friends_with_category,
    send_like_sends_times_only_when_set,
    set_friend_add_request_approves_into_friend_list,
    set_friend_add_request_leaves_out_unset_remark,
    get_friend_list_is_typed_and_keeps_extra_fields,
    delete_friend_sends_temp_flags_only_when_set,
    set_friend_remark_changes_the_list,
    mark_group_and_private_msg_as_read,
    create_collection_sends_raw_data_camel_case,
    get_recent_contact_reads_lastest_msg,
    mark_all_as_read_is_underscore_wire_name,
    ask_share_group_is_send_group_ark_share_returning_ark_json,
    get_stranger_info_keeps_raw_nt_fields,
    fetch_custom_face_wraps_the_plain_list,
    nc_get_user_status_is_typed,
    delete_friend_of_a_stranger_is_an_api_error,
}
