//! Runs every action's spec example, in spec order, against the embedded simulator and
//! prints what was sent and what came back; then a friend writes to the bot and the bot
//! answers, to show receiving; then the bot runs its group (a join request, the member list,
//! a card, a 60-second ban and its lifting).

use api_core::Client;
use api_sim::Simulator;

// Every action's spec example, runnable (`examples::EXAMPLES`).
api_macros::generate_examples! {
    builtin = true,
}

struct Row {
    method: &'static str,
    wire: String,
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

/// Runs the tour; returns how many actions failed.
pub async fn run(api: &Client, sim: &Simulator) -> usize {
    let mut rows = Vec::new();
    for (method, example) in examples::EXAMPLES {
        sim.take_calls();
        let outcome = example(api.clone()).await;
        let calls = sim.take_calls();
        let wire = calls
            .iter()
            .map(|c| c.action.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let sent = calls
            .iter()
            .map(|c| c.params.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let result = match outcome {
            Err(e) => Err(e.to_string()),
            Ok(()) if calls.is_empty() => Err("the example sent nothing".into()),
            Ok(()) => Ok(calls
                .iter()
                .map(|c| match &c.reply {
                    Some(Ok(Some(data))) => data.to_string(),
                    Some(Ok(None)) => "(no data)".into(),
                    Some(Err(e)) => format!("failed: {e}"),
                    None => "(no reply)".into(),
                })
                .collect::<Vec<_>>()
                .join(", ")),
        };
        rows.push(Row {
            method,
            wire,
            sent,
            result,
        });
    }

    println!("| # | method | wire action | sent | reply data |");
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
    let listener = match listen(api, sim).await {
        Ok(l) => l,
        Err(e) => {
            println!("listening for events FAILED: {e}");
            return failed + 1;
        }
    };
    for (scene, outcome) in [
        ("receiving", receive_scene(api, &listener, sim).await),
        ("moderating", moderation_scene(api, &listener, sim).await),
    ] {
        if let Err(e) = outcome {
            println!("{scene} FAILED: {e}");
            failed += 1;
        }
    }
    failed
}

/// A client that receives the events: over the SSE stream when the tour runs over HTTP, else
/// over its own WebSocket.
async fn listen(api: &Client, sim: &Simulator) -> Result<Client, String> {
    let before = sim.event_clients();
    let listener = if api.url().starts_with("http") {
        Client::builder()
            .base_url(api.url())
            .sse_events(true)
            .build()
            .map_err(|e| e.to_string())?
    } else {
        Client::builder()
            .ws_url(sim.ws_url("/"))
            .connect()
            .await
            .map_err(|e| e.to_string())?
    };
    sim.wait_for_event_clients(before + 1).await;
    Ok(listener)
}

/// A friend writes; the bot gets the typed event and answers in place, quoting it.
async fn receive_scene(api: &Client, listener: &Client, sim: &Simulator) -> Result<(), String> {
    use api_core::types::Event;
    let mut events = listener.events();
    let id = sim.inject_private_message(123456, serde_json::json!("在吗？[CQ:face,id=14]"));
    let m = loop {
        match events.recv().await.map_err(|e| e.to_string())? {
            Event::Message(m) if m.message_id == id => break m,
            _ => continue,
        }
    };
    println!(
        "\nreceived: message {} from {} ({}): {}",
        m.message_id,
        m.sender.nickname,
        m.user_id.unwrap_or_default(),
        m.message
    );
    let sent = api
        .reply(&m, "在的，请讲")
        .await
        .map_err(|e| e.to_string())?;
    let back = api
        .get_msg(sent.message_id)
        .await
        .map_err(|e| e.to_string())?;
    println!("answered: message {}: {}", back.message_id, back.message);
    Ok(())
}

/// The bot runs its group: approves a join request that gives the passphrase, lists the
/// members, sets the newcomer's card, bans them for 60 s and lifts the ban, printing each
/// step and the notices the server pushes.
async fn moderation_scene(api: &Client, listener: &Client, sim: &Simulator) -> Result<(), String> {
    use api_core::types::{Event, Notice, Request};
    use api_core::{Events, GroupId, UserId};
    use std::time::Duration;

    async fn next_notice(events: &mut Events) -> Result<Notice, String> {
        loop {
            if let Event::Notice(n) = events.recv().await.map_err(|e| e.to_string())? {
                return Ok(n);
            }
        }
    }
    let err = |e: api_core::Error| e.to_string();
    let (group, newcomer) = (GroupId(100200), UserId(567892));
    let mut events = listener.events();
    println!("\nmoderating group {group}:");
    sim.inject_group_request(
        group.get(),
        newcomer.get(),
        "钱一",
        "问题：暗号？\n答案：芝麻开门",
    );
    let request = loop {
        match events.recv().await.map_err(|e| e.to_string())? {
            Event::Request(r @ Request::Group(_)) => break r,
            _ => continue,
        }
    };
    if let Request::Group(r) = &request {
        println!("  join request from {}: {:?}", r.user_id, r.comment);
    }
    api.approve(&request).await.map_err(err)?;
    if let Notice::GroupIncrease(n) = next_notice(&mut events).await? {
        println!("  approved; notice group_increase: {} joined", n.user_id);
    }
    for m in api.get_group_member_list(group).await.map_err(err)? {
        println!("  member {} {} {:?}", m.user_id, m.nickname, m.role);
    }
    api.set_group_card(group, newcomer)
        .card("新人")
        .await
        .map_err(err)?;
    let card = api
        .get_group_member_info(group, newcomer)
        .await
        .map_err(err)?
        .card;
    println!("  card set: {card:?}");
    api.set_group_ban(group, newcomer, Duration::from_secs(60))
        .await
        .map_err(err)?;
    if let Notice::GroupBan(n) = next_notice(&mut events).await? {
        println!(
            "  banned; notice group_ban: {} for {} s",
            n.user_id, n.duration
        );
    }
    api.lift_group_ban(group, newcomer).await.map_err(err)?;
    if let Notice::GroupBan(n) = next_notice(&mut events).await? {
        println!(
            "  lifted; notice group_ban: {} ({:?})",
            n.user_id, n.sub_type
        );
    }
    Ok(())
}
