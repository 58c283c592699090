//! Runs every action's spec example, in spec order, against the embedded simulator and
//! prints what was sent and what came back; then a friend writes to the bot and the bot
//! answers, to show receiving.

use api_core::Client;
use api_sim::Simulator;

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
    for (method, example) in api_core::examples::EXAMPLES {
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
    match receive_scene(api, sim).await {
        Ok(()) => failed,
        Err(e) => {
            println!("receiving FAILED: {e}");
            failed + 1
        }
    }
}

/// A friend writes; the bot gets the typed event (over the SSE stream when the tour runs over
/// HTTP, else over its WebSocket) and answers in place, quoting it.
async fn receive_scene(api: &Client, sim: &Simulator) -> Result<(), String> {
    use api_core::types::Event;
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
    let mut events = listener.events();
    sim.wait_for_event_clients(before + 1).await;
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
