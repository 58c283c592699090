//! Runs every Account action once through the generated client and prints what was sent
//! and what came back.

use std::fmt::Debug;

use api_core::types::Sex;
use api_core::{Action, ActionCall, Client};

struct Row {
    method: &'static str,
    wire: &'static str,
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

/// Sends one call and records what was sent and what came back.
async fn step<C>(rows: &mut Vec<Row>, call: C)
where
    C: ActionCall,
    <C::Request as Action>::Output: Debug,
{
    let sent = serde_json::to_string(call.request()).unwrap_or_default();
    let result = call
        .into_future()
        .await
        .map(|v| format!("{v:?}"))
        .map_err(|e| e.to_string());
    rows.push(Row {
        method: <C::Request as Action>::RUST_NAME,
        wire: <C::Request as Action>::WIRE_NAME,
        sent,
        result,
    });
}

/// Runs the tour; returns how many actions failed.
pub async fn run(api: &Client) -> usize {
    let mut rows = Vec::new();
    let r = &mut rows;
    step(r, api.set_qq_profile("阿猫", "保持学习", Sex::Male)).await;
    step(r, api.set_online_status(11, 0, 100)).await;
    step(r, api.set_avatar("https://example.com/avatar.jpg")).await;
    step(r, api.set_self_longnick("写代码，爱生活")).await;
    step(r, api.get_login_info()).await;
    step(r, api.get_status()).await;
    step(r, api.get_friends_with_cat()).await;
    step(r, api.send_like(123456).times(5)).await;
    step(
        r,
        api.set_friend_add_request("flag_12345", true)
            .remark("同学"),
    )
    .await;
    step(r, api.get_friend_list()).await;
    step(r, api.delete_friend(345678)).await;
    step(r, api.set_friend_remark(123456, "同学-张三")).await;
    step(r, api.mark_group_msg_as_read(100200)).await;
    step(r, api.mark_private_msg_as_read(123456)).await;
    step(r, api.create_collection("{\"text\":\"hi\"}", "重要记录")).await;
    step(r, api.get_recent_contact().count(3)).await;
    step(r, api.mark_all_as_read()).await;
    step(r, api.ask_share_group(100200)).await;
    step(r, api.get_stranger_info(123456)).await;
    step(r, api.fetch_custom_face().count(3)).await;
    step(r, api.nc_get_user_status(123456)).await;

    println!("| # | method | wire action | sent | result |");
    println!("| --- | --- | --- | --- | --- |");
    let mut failed = 0;
    for (i, row) in rows.iter().enumerate() {
        let result = match &row.result {
            Ok(v) => format!("ok {}", short(v.clone(), 70)),
            Err(e) => {
                failed += 1;
                format!("FAILED {e}")
            }
        };
        println!(
            "| {} | {} | {} | {} | {result} |",
            i + 1,
            row.method,
            row.wire,
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
