//! One type per fact: QQ numbers, groups and message ids typed alike everywhere, a group poke
//! that needs its group, and helpers for the questions every bot asks of an event.

use api_core::types::{GroupBanNotice, GroupNotification};
use api_core::{AtTarget, GroupId, Message, MessageId, UserId};
use api_tests::{only_call, sim_and_client};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_login_number_is_a_user_id_like_every_other() {
    let (_sim, api) = sim_and_client().await;
    let me: UserId = api.get_login_info().await.unwrap().user_id;
    assert_eq!(me, UserId(10001));
    let friends = api.get_friend_list().await.unwrap();
    // Compared without a conversion: both are `UserId`.
    assert!(friends.iter().all(|f| f.user_id != me));
}

#[tokio::test]
async fn a_group_poke_takes_its_group_and_user_in_that_order() {
    let (sim, api) = sim_and_client().await;
    api.group_poke(GroupId(100200), UserId(234567))
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        (
            "group_poke".into(),
            json!({"group_id": 100200, "user_id": 234567})
        )
    );
}

#[tokio::test]
async fn a_sent_message_id_is_what_get_msg_and_a_quote_take() {
    let (_sim, api) = sim_and_client().await;
    let sent = api.send_group_msg(GroupId(100200), "hello").await.unwrap();
    let id: MessageId = sent.message_id;
    let got = api.get_msg(id).await.unwrap();
    assert_eq!(got.message_id, id);
    let quote = Message::new().reply(id).at(UserId(123456)).at_all();
    assert_eq!(quote.reply_to(), Some(id));
    assert_eq!(quote.mentions().collect::<Vec<_>>(), [UserId(123456)]);
    assert!(quote.mentions_everyone());
    let targets: Vec<_> = quote
        .segments()
        .iter()
        .filter_map(|s| match s {
            api_core::types::Segment::At(a) => a.target(),
            _ => None,
        })
        .collect();
    assert_eq!(
        targets,
        [AtTarget::User(UserId(123456)), AtTarget::Everyone]
    );
}

#[test]
fn a_whole_group_ban_is_told_apart_from_a_members() {
    let notice = |user: i64, duration: i64, sub: &str| -> GroupBanNotice {
        serde_json::from_value(json!({
            "time": 1, "self_id": 10001, "post_type": "notice", "notice_type": "group_ban",
            "sub_type": sub, "group_id": 100200, "user_id": user, "operator_id": 123456,
            "duration": duration
        }))
        .unwrap()
    };
    let whole = notice(0, -1, "ban");
    assert!(whole.is_whole_group());
    assert_eq!(whole.ban_duration(), None);
    let member = notice(234567, 600, "ban");
    assert!(!member.is_whole_group());
    assert_eq!(member.ban_duration(), Some(Duration::from_secs(600)));
    assert_eq!(notice(234567, 0, "lift_ban").ban_duration(), None);
}

#[test]
fn a_join_requests_flag_is_its_request_id() {
    let n: GroupNotification = serde_json::from_value(json!({
        "request_id": 1764151190000001u64, "invitor_uin": 567890, "invitor_nick": "孙七",
        "group_id": 100200, "message": "", "group_name": "g", "checked": false, "actor": 0,
        "requester_nick": "孙七"
    }))
    .unwrap();
    assert_eq!(n.flag(), "1764151190000001");
}

#[test]
fn every_sendable_segment_has_a_builder_with_sensible_defaults() {
    use api_core::types::{ForwardSegment, NodeSegment, Segment};
    use api_core::{ForwardId, Uploadable};
    // A local file goes under its own name; another name can be given.
    let m = Message::new()
        .file(std::path::Path::new("/data/report.pdf"))
        .file_named(Uploadable::bytes(b"x".to_vec()), "x.txt")
        .file("https://example.com/a.bin")
        .forward(ForwardId::from("res-1"))
        .node(NodeSegment::by_id(MessageId(7)));
    let names: Vec<Option<&str>> = m
        .segments()
        .iter()
        .filter_map(|s| match s {
            Segment::File(f) => Some(f.name.as_deref()),
            _ => None,
        })
        .collect();
    assert_eq!(names, [Some("report.pdf"), Some("x.txt"), None]);
    assert!(
        m.segments()
            .contains(&Segment::Forward(ForwardSegment::new("res-1")))
    );
    assert!(
        m.segments()
            .contains(&Segment::Node(NodeSegment::new().id("7")))
    );
}

#[tokio::test]
async fn closed_sets_of_values_are_enums_sent_as_napcats_numbers() {
    use api_core::types::{GroupAddOption, RobotInviteReview, RobotInviteSwitch};
    let (sim, api) = sim_and_client().await;
    api.set_group_add_option(GroupId(100200), GroupAddOption::AnswerQuestion)
        .group_question("暗号？")
        .group_answer("芝麻开门")
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"group_id": 100200, "add_type": 4, "group_question": "暗号？", "group_answer": "芝麻开门"})
    );
    api.set_group_robot_add_option(GroupId(100200))
        .robot_member_switch(RobotInviteSwitch::Forbidden)
        .robot_member_examine(RobotInviteReview::Required)
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"group_id": 100200, "robot_member_switch": 1, "robot_member_examine": 2})
    );
    // Open: a value QQ adds later is still sendable, and reads back as itself.
    api.set_group_add_option(GroupId(100200), GroupAddOption::Other(9))
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"group_id": 100200, "add_type": 9})
    );
}

#[tokio::test]
async fn yes_no_values_travel_as_one_and_zero() {
    let (sim, api) = sim_and_client().await;
    api.send_group_notice(GroupId(100200), "周五分享")
        .pinned(true)
        .confirm_required(false)
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"group_id": 100200, "content": "周五分享", "pinned": 1, "confirm_required": 0})
    );
    // The simulator answers with NapCat's example: `"is_show_edit_card": 0, "confirm_required": 1`.
    let notices = api.get_group_notice(GroupId(100200)).await.unwrap();
    let settings = notices[0].settings.as_ref().expect("NapCat gives settings");
    assert_eq!(settings.is_show_edit_card, Some(false));
    assert_eq!(settings.confirm_required, Some(true));
    sim.take_calls();
    api.set_group_search(GroupId(100200))
        .no_finger_open(true)
        .no_code_finger_open(false)
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"group_id": 100200, "no_finger_open": 1, "no_code_finger_open": 0})
    );
}

#[tokio::test]
async fn the_simulator_applies_group_options_as_napcat_does() {
    use api_core::types::GroupAddOption;
    let (sim, api) = sim_and_client().await;
    let setting =
        |key: &str| sim.with_state(|s| s.group_settings(100200).and_then(|g| g.get(key).cloned()));
    // A search flag of 0 is not passed on (apis/group.ts `setGroupSearch`).
    api.set_group_search(GroupId(100200))
        .no_finger_open(true)
        .await
        .unwrap();
    api.set_group_search(GroupId(100200))
        .no_finger_open(false)
        .await
        .unwrap();
    assert_eq!(setting("no_finger_open"), Some(json!(1)));
    // Approval by an admin after the question keeps the question and clears the answer.
    api.set_group_add_option(GroupId(100200), GroupAddOption::QuestionThenApproval)
        .group_question("暗号？")
        .group_answer("芝麻开门")
        .await
        .unwrap();
    assert_eq!(setting("add_type"), Some(json!(5)));
    assert_eq!(setting("group_question"), Some(json!("暗号？")));
    assert_eq!(setting("group_answer"), Some(json!("")));
}

#[tokio::test]
async fn a_video_cover_from_a_local_file_is_read_and_sent_with_the_video() {
    let dir = tempfile::tempdir().unwrap();
    let cover = dir.path().join("cover.png");
    std::fs::write(&cover, b"cover bytes").unwrap();
    let (sim, api) = sim_and_client().await;
    let message = Message::new().video_with_cover("https://example.com/clip.mp4", cover.as_path());
    api.send_group_msg(GroupId(100200), message).await.unwrap();
    let (_, params) = only_call(&sim);
    assert_eq!(
        params["message"][0],
        json!({"type": "video", "data": {
            "file": "https://example.com/clip.mp4",
            // base64 of "cover bytes"
            "thumb": "base64://Y292ZXIgYnl0ZXM=",
        }})
    );
}

#[tokio::test]
async fn download_headers_are_pairs_and_one_that_cannot_travel_is_refused_before_sending() {
    use api_core::types::DownloadSource;
    use api_core::{Error, Header};
    let (sim, api) = sim_and_client().await;
    sim.add_url("https://example.com/a.bin", b"abc".to_vec());
    api.download_file(DownloadSource::Url("https://example.com/a.bin".into()))
        .headers(vec![
            Header::new("Referer", "https://example.com/"),
            ("Cookie", "a=b").into(),
        ])
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim).1["headers"],
        json!(["Referer=https://example.com/", "Cookie=a=b"])
    );
    let refused = api
        .download_file(DownloadSource::Url("https://example.com/a.bin".into()))
        .header("Cookie=a", "b")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::InvalidArgument { reason, .. } if reason.contains("holds `=`")),
        "{refused}"
    );
    assert!(sim.take_calls().is_empty(), "nothing was sent");
}
