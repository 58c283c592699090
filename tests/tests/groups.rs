//! Running a group against the simulator over every transport: members and their roles, the
//! changes and the notices NapCat pushes for them, join requests and invitations, and the
//! errors NapCat gives for an unknown group or member, a missing permission and a bad
//! duration.

use std::time::Duration;

use api_core::types::{
    DecreaseKind, Event, GroupRole, HonorType, Notice, Notify, Request, ShutUpMember,
};
use api_core::{Client, Error, Events, GroupId, UserId};
use api_tests::{Via, assert_failure, over_every_transport, setup};

const OWNED: GroupId = GroupId(100200);
const JOINED: GroupId = GroupId(300400);
const ADMIN: UserId = UserId(123456);
const MEMBER: UserId = UserId(234567);
const OTHER: UserId = UserId(345678);

/// The next notice, skipping anything else.
async fn next_notice(events: &mut Events) -> Notice {
    loop {
        if let Event::Notice(n) = events.recv().await.unwrap() {
            return n;
        }
    }
}

async fn member_role(api: &Client, group: GroupId, user: UserId) -> Option<GroupRole> {
    api.get_group_member_info(group, user).await.unwrap().role
}

async fn members_and_info(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let groups = api.get_group_list().await.unwrap();
    assert_eq!(
        groups.iter().map(|g| g.group_id).collect::<Vec<_>>(),
        [OWNED, JOINED]
    );
    let info = api.get_group_info(OWNED).await.unwrap();
    assert_eq!(
        (info.group_name.as_str(), info.member_count),
        ("Rust 学习群", Some(4))
    );
    let members = api.get_group_member_list(OWNED).await.unwrap();
    let roles: Vec<(UserId, Option<GroupRole>)> = members
        .iter()
        .map(|m| (m.user_id, m.role.clone()))
        .collect();
    assert_eq!(
        roles,
        [
            (UserId(10001), Some(GroupRole::Owner)),
            (ADMIN, Some(GroupRole::Admin)),
            (MEMBER, Some(GroupRole::Member)),
            (OTHER, Some(GroupRole::Member)),
        ]
    );
    let m = api.get_group_member_info(OWNED, MEMBER).await.unwrap();
    assert_eq!(
        (m.nickname.as_str(), m.level.as_deref()),
        ("李四", Some("1"))
    );
    assert_eq!(m.shut_up_timestamp, Some(0));
    let remain = api.get_group_at_all_remain(OWNED).await.unwrap();
    assert!(remain.can_at_all);
    assert!(
        !api.get_group_at_all_remain(JOINED)
            .await
            .unwrap()
            .can_at_all
    );
    // The talkative honour goes to whoever spoke most.
    sim.inject_group_message(OWNED.get(), MEMBER.get(), "李四", serde_json::json!("hi"));
    let honor = api
        .get_group_honor_info(OWNED)
        .kind(HonorType::Talkative)
        .await
        .unwrap();
    assert_eq!(honor.talkative_list.unwrap()[0].user_id, MEMBER);
}

async fn bans_push_notices_and_lift_by_name(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    let mut events = api.events();
    api.set_group_ban(OWNED, MEMBER, Duration::from_secs(60))
        .await
        .unwrap();
    let Notice::GroupBan(ban) = next_notice(&mut events).await else {
        panic!("expected a group_ban notice")
    };
    assert_eq!(
        (ban.group_id, ban.user_id, ban.operator_id, ban.duration),
        (OWNED, MEMBER, UserId(10001), 60)
    );
    let muted: Vec<ShutUpMember> = api.get_group_shut_list(OWNED).await.unwrap();
    assert_eq!(muted.len(), 1);
    assert_eq!(muted[0].user_id, MEMBER);
    let m = api.get_group_member_info(OWNED, MEMBER).await.unwrap();
    assert_eq!(m.shut_up_timestamp, Some(muted[0].shut_up_time));
    let now = std::time::SystemTime::now();
    let until = m.banned_until(now).expect("banned now");
    assert!(until <= now + Duration::from_secs(61), "{until:?}");

    api.lift_group_ban(OWNED, MEMBER).await.unwrap();
    let Notice::GroupBan(lift) = next_notice(&mut events).await else {
        panic!("expected a group_ban notice")
    };
    assert_eq!(lift.duration, 0);
    assert_eq!(lift.sub_type, api_core::types::BanKind::LiftBan);
    assert!(api.get_group_shut_list(OWNED).await.unwrap().is_empty());
    let m = api.get_group_member_info(OWNED, MEMBER).await.unwrap();
    assert_eq!(m.banned_until(std::time::SystemTime::now()), None);

    api.set_group_whole_ban(OWNED, true).await.unwrap();
    let Notice::GroupBan(all) = next_notice(&mut events).await else {
        panic!("expected a group_ban notice")
    };
    assert_eq!((all.user_id, all.duration), (UserId(0), -1));
    assert_eq!(
        api.get_group_info(OWNED).await.unwrap().group_all_shut,
        Some(-1)
    );
}

async fn members_change_with_notices(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let mut events = api.events();

    api.set_group_admin(OWNED, MEMBER, true).await.unwrap();
    let Notice::GroupAdmin(a) = next_notice(&mut events).await else {
        panic!("expected group_admin")
    };
    assert_eq!(a.user_id, MEMBER);
    assert_eq!(
        member_role(&api, OWNED, MEMBER).await,
        Some(GroupRole::Admin)
    );

    api.set_group_special_title(OWNED, MEMBER)
        .special_title("元老")
        .await
        .unwrap();
    let Notice::Notify(Notify::Title(t)) = next_notice(&mut events).await else {
        panic!("expected notify title")
    };
    assert_eq!((t.user_id, t.title.as_str()), (MEMBER, "元老"));

    api.set_group_name(OWNED, "Rust 学习群（二期）")
        .await
        .unwrap();
    let Notice::Notify(Notify::GroupName(n)) = next_notice(&mut events).await else {
        panic!("expected notify group_name")
    };
    assert_eq!(n.name_new, "Rust 学习群（二期）");

    // NapCat notices a card change only when the member next speaks.
    api.set_group_card(OWNED, OTHER).card("老王").await.unwrap();
    sim.inject_group_message(
        OWNED.get(),
        OTHER.get(),
        "王五",
        serde_json::json!("我改名了"),
    );
    let Notice::GroupCard(c) = next_notice(&mut events).await else {
        panic!("expected group_card")
    };
    assert_eq!(
        (c.user_id, c.card_new.as_str(), c.card_old.as_str()),
        (OTHER, "老王", "")
    );
    let other = api.get_group_member_info(OWNED, OTHER).await.unwrap();
    assert_eq!(other.display_name(), "老王");
    assert!(!other.is_admin());
    assert!(
        api.get_group_member_info(OWNED, MEMBER)
            .await
            .unwrap()
            .is_admin()
    );

    api.set_group_kick(OWNED, OTHER).await.unwrap();
    let Notice::GroupDecrease(d) = next_notice(&mut events).await else {
        panic!("expected group_decrease")
    };
    assert_eq!(
        (d.user_id, d.operator_id, d.sub_type),
        (OTHER, UserId(10001), DecreaseKind::Kick)
    );
    assert_eq!(api.get_group_member_list(OWNED).await.unwrap().len(), 3);
}

async fn join_requests_and_invitations(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    let mut events = api.events();
    let flag =
        sim.inject_group_request(OWNED.get(), 567891, "吴九", "问题：暗号？\n答案：芝麻开门");
    let request = loop {
        if let Event::Request(r @ Request::Group(_)) = events.recv().await.unwrap() {
            break r;
        }
    };
    let Request::Group(g) = &request else {
        unreachable!()
    };
    assert_eq!(
        (g.flag.as_str(), g.user_id),
        (flag.as_str(), UserId(567891))
    );
    let pending = api.get_group_system_msg().await.unwrap();
    assert!(
        pending
            .join_requests
            .iter()
            .any(|r| r.request_id.to_string() == flag && !r.checked)
    );
    api.approve(&request).await.unwrap();
    let Notice::GroupIncrease(inc) = next_notice(&mut events).await else {
        panic!("expected group_increase")
    };
    assert_eq!(
        (inc.user_id, inc.operator_id),
        (UserId(567891), UserId(10001))
    );
    assert_eq!(
        member_role(&api, OWNED, UserId(567891)).await,
        Some(GroupRole::Member)
    );
    let answered = api.get_group_system_msg().await.unwrap();
    assert!(
        answered
            .join_requests
            .iter()
            .any(|r| r.request_id.to_string() == flag && r.checked)
    );

    let invite = sim.inject_group_invite(700800, "新群", ADMIN.get(), "张三");
    api.set_group_add_request(invite, true).await.unwrap();
    let Notice::GroupIncrease(me) = next_notice(&mut events).await else {
        panic!("expected group_increase")
    };
    assert_eq!((me.group_id, me.user_id), (GroupId(700800), UserId(10001)));
    assert_eq!(
        api.get_group_info(GroupId(700800))
            .await
            .unwrap()
            .group_name,
        "新群"
    );

    assert_failure(
        via,
        api.set_group_add_request("1", true).await,
        "No such request",
    );
}

async fn napcats_errors_for_groups(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    // Unknown group or member.
    assert_failure(
        via,
        api.get_group_member_list(GroupId(1)).await,
        "Failed to get group member list for group 1",
    );
    assert_failure(
        via,
        api.get_group_member_info(OWNED, UserId(999)).await,
        "Uin2Uid Error: 用户ID 999 不存在",
    );
    assert_failure(
        via,
        api.get_group_member_info(JOINED, MEMBER).await,
        "群(300400)成员234567不存在",
    );
    assert_failure(
        via,
        api.set_group_ban(OWNED, UserId(999), Duration::from_secs(60))
            .await,
        "uid error",
    );
    assert_failure(
        via,
        api.set_group_ban(JOINED, MEMBER, Duration::from_secs(60))
            .await,
        "user not in group",
    );
    // Missing permissions: the bot is a plain member of JOINED.
    assert_failure(
        via,
        api.set_group_ban(JOINED, ADMIN, Duration::from_secs(60))
            .await,
        "ERR_NOT_GROUP_ADMIN",
    );
    assert_failure(
        via,
        api.set_group_ban(JOINED, UserId(888888), Duration::from_secs(60))
            .await,
        "cannot ban owner",
    );
    assert_failure(
        via,
        api.set_group_name(JOINED, "x").await,
        "设置群名称失败 ErrCode: 120101005 ErrMsg: ERR_NOT_GROUP_ADMIN",
    );
    assert_failure(
        via,
        api.set_group_whole_ban(JOINED, true).await,
        "SetGroupWholeBan failed: ERR_NOT_GROUP_ADMIN 120101005",
    );
    assert_failure(
        via,
        api.set_group_card(JOINED, ADMIN).card("x").await,
        "设置群名片未生效",
    );
    assert_failure(
        via,
        api.set_group_member_invite_policy(JOINED, api_core::types::InvitePolicy::Disabled)
            .await,
        "设置群成员邀请策略失败 Setting: member_invite ErrCode: 120101005 ErrMsg: ERR_NOT_GROUP_ADMIN",
    );
    // NapCat does not look at QQ's answer to a kick: it succeeds and nobody leaves.
    api.set_group_kick(JOINED, ADMIN).await.unwrap();
    assert_eq!(
        member_role(&api, JOINED, ADMIN).await,
        Some(GroupRole::Member)
    );
    // An admin cannot be banned by another admin; only the owner bans admins.
    api.set_group_ban(OWNED, ADMIN, Duration::from_secs(60))
        .await
        .unwrap();
    // A bad duration: below a second is refused before sending; beyond QQ's 30 days by the
    // server.
    match api
        .set_group_ban(OWNED, MEMBER, Duration::from_millis(1500))
        .await
    {
        Err(Error::InvalidArgument { param, .. }) => assert_eq!(param, "duration"),
        other => panic!("{other:?}"),
    }
    assert_failure(
        via,
        api.set_group_ban(OWNED, MEMBER, Duration::from_secs(31 * 24 * 3600))
            .await,
        "禁言时长 2678400 秒超出 QQ 允许的 0 到 2592000 秒",
    );
}

over_every_transport! {
    members_and_info,
    bans_push_notices_and_lift_by_name,
    members_change_with_notices,
    join_requests_and_invitations,
    napcats_errors_for_groups,
}
