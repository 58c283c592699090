//! Runs every action's spec example, in spec order, against the embedded simulator and
//! prints what was sent and what came back.

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
    failed
}
