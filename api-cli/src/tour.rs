//! Runs every Account action once through the generated client and prints what was sent
//! and what came back.

use std::fmt::Debug;
use std::future::IntoFuture;

use api_core::{Client, Error, Sex};
use serde::Serialize;

struct Row {
    method: &'static str,
    sent: String,
    result: Result<String, String>,
}

fn short(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        text
    } else {
        text.chars().take(max).collect::<String>() + "…"
    }
}

async fn step<C, R, T>(rows: &mut Vec<Row>, method: &'static str, call: C)
where
    C: IntoFuture<Output = Result<T, Error>>,
    C: RequestOf<R>,
    R: Serialize,
    T: Debug,
{
    let sent = serde_json::to_string(call.req()).unwrap_or_default();
    let result = call
        .into_future()
        .await
        .map(|v| format!("{v:?}"))
        .map_err(|e| e.to_string());
    rows.push(Row {
        method,
        sent,
        result,
    });
}

/// Access to a call builder's request, for printing.
trait RequestOf<R> {
    fn req(&self) -> &R;
}

macro_rules! request_of {
    ($($call:ident => $req:ident),* $(,)?) => {$(
        impl RequestOf<api_core::$req> for api_core::$call {
            fn req(&self) -> &api_core::$req { self.request() }
        }
    )*};
}

request_of! {
    SetQqProfileCall => SetQqProfileRequest,
    SetOnlineStatusCall => SetOnlineStatusRequest,
    SetAvatarCall => SetAvatarRequest,
    SetSelfLongnickCall => SetSelfLongnickRequest,
    GetLoginInfoCall => GetLoginInfoRequest,
    GetStatusCall => GetStatusRequest,
    GetFriendsWithCatCall => GetFriendsWithCatRequest,
    SendLikeCall => SendLikeRequest,
    SetFriendAddRequestCall => SetFriendAddRequestRequest,
    GetFriendListCall => GetFriendListRequest,
    DeleteFriendCall => DeleteFriendRequest,
    SetFriendRemarkCall => SetFriendRemarkRequest,
    MarkGroupMsgAsReadCall => MarkGroupMsgAsReadRequest,
    MarkPrivateMsgAsReadCall => MarkPrivateMsgAsReadRequest,
    CreateCollectionCall => CreateCollectionRequest,
    GetRecentContactCall => GetRecentContactRequest,
    MarkAllAsReadCall => MarkAllAsReadRequest,
    AskShareGroupCall => AskShareGroupRequest,
    GetStrangerInfoCall => GetStrangerInfoRequest,
    FetchCustomFaceCall => FetchCustomFaceRequest,
    NcGetUserStatusCall => NcGetUserStatusRequest,
}

/// Runs the tour; returns how many actions failed.
pub async fn run(api: &Client) -> usize {
    let mut rows = Vec::new();
    let r = &mut rows;
    step(
        r,
        "set_qq_profile",
        api.set_qq_profile("阿猫", "保持学习", Sex::Male),
    )
    .await;
    step(r, "set_online_status", api.set_online_status(11, 0, 100)).await;
    step(
        r,
        "set_avatar",
        api.set_avatar("https://example.com/avatar.jpg"),
    )
    .await;
    step(
        r,
        "set_self_longnick",
        api.set_self_longnick("写代码，爱生活"),
    )
    .await;
    step(r, "get_login_info", api.get_login_info()).await;
    step(r, "get_status", api.get_status()).await;
    step(r, "get_friends_with_cat", api.get_friends_with_cat()).await;
    step(r, "send_like", api.send_like(123456).times(5)).await;
    step(
        r,
        "set_friend_add_request",
        api.set_friend_add_request("flag_12345", true)
            .remark("同学"),
    )
    .await;
    step(r, "get_friend_list", api.get_friend_list()).await;
    step(r, "delete_friend", api.delete_friend(345678)).await;
    step(
        r,
        "set_friend_remark",
        api.set_friend_remark(123456, "同学-张三"),
    )
    .await;
    step(
        r,
        "mark_group_msg_as_read",
        api.mark_group_msg_as_read(100200),
    )
    .await;
    step(
        r,
        "mark_private_msg_as_read",
        api.mark_private_msg_as_read(123456),
    )
    .await;
    step(
        r,
        "create_collection",
        api.create_collection("{\"text\":\"hi\"}", "重要记录"),
    )
    .await;
    step(r, "get_recent_contact", api.get_recent_contact().count(3)).await;
    step(r, "mark_all_as_read", api.mark_all_as_read()).await;
    step(r, "ask_share_group", api.ask_share_group(100200)).await;
    step(r, "get_stranger_info", api.get_stranger_info(123456)).await;
    step(r, "fetch_custom_face", api.fetch_custom_face().count(3)).await;
    step(r, "nc_get_user_status", api.nc_get_user_status(123456)).await;

    println!("| # | method | wire action | sent | result |");
    println!("| --- | --- | --- | --- | --- |");
    let mut failed = 0;
    for (i, row) in rows.iter().enumerate() {
        let wire = api_core::ACTIONS
            .iter()
            .find(|a| a.rust_name == row.method)
            .map_or("?", |a| a.wire_name);
        let result = match &row.result {
            Ok(v) => format!("ok {}", short(v.clone(), 70)),
            Err(e) => {
                failed += 1;
                format!("FAILED {e}")
            }
        };
        println!(
            "| {} | {} | {wire} | {} | {result} |",
            i + 1,
            row.method,
            short(row.sent.clone(), 60)
        );
    }
    println!(
        "\n{} of {} actions succeeded",
        rows.len() - failed,
        rows.len()
    );
    failed
}
