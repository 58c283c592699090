//! Several accounts over one reverse WebSocket server: each event is handled with the client
//! of the account that received it, and a group message that two of the bot's accounts see
//! is answered by one of them (the other sees it claimed).

use std::net::SocketAddr;
use std::time::Duration;

use api_bot::claim::Claim;
use api_bot::dispatcher::Bot;
use api_bot::extract::State;
use api_core::types::MessageEvent;
use api_core::{Client, Error, ReverseOptions, ReverseServer};
use api_sim::{Seed, SimConfig, Simulator};
use serde_json::json;
use tokio::sync::mpsc;

type Log = mpsc::UnboundedSender<String>;

/// Answers, naming the account that answers: only on the account that claims the message.
async fn answer(
    api: Client,
    m: MessageEvent,
    State(log): State<Log>,
    _: Claim,
) -> Result<(), Error> {
    let me = m.self_id.unwrap_or_default();
    api.reply(&m, format!("answered by {me}")).await?;
    let _ = log.send(format!("{me} answered {}", m.message.plain_text()));
    Ok(())
}

/// What the other accounts see: the message, claimed.
async fn claimed(m: MessageEvent, State(log): State<Log>) {
    let me = m.self_id.unwrap_or_default();
    let _ = log.send(format!("{me} saw {} claimed", m.message.plain_text()));
}

/// Commands the bot answers; a wrong argument is answered with the usage.
#[derive(api_bot::commands::Commands, Debug, Clone, PartialEq)]
#[commands(prefix = "/")]
enum Command {
    /// 禁言几分钟
    Ban { minutes: u32 },
}

async fn on_command(_: Command) {}

/// The next line the bot's handlers logged; a bound on a failure, not a timing margin.
async fn next_line(heard: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(60), heard.recv())
        .await
        .expect("a handler ran")
        .expect("the bot holds the log")
}

/// A simulated account with QQ number `self_id`, a member of the default groups.
async fn account(self_id: i64) -> Simulator {
    Simulator::start(SimConfig {
        seed: Seed::for_account(self_id),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn one_account_answers_a_message_both_see() {
    let server = ReverseServer::bind(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        ReverseOptions::default(),
    )
    .await
    .unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let (log, mut heard) = mpsc::unbounded_channel::<String>();
    let bot = Bot::new().state(log).on(on_command).on(answer).on(claimed);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(bot.serve_until(server, async {
        let _ = stopped.await;
    }));
    let (first, second) = (account(10001).await, account(10002).await);
    let _dial = (
        first.connect_reverse(&url, None),
        second.connect_reverse(&url, None),
    );
    first.wait_for_event_clients(1).await;
    second.wait_for_event_clients(1).await;

    // Each account's own private message is answered by that account, over its own client.
    first.inject_private_message(123456, json!("hello first"));
    second.inject_private_message(123456, json!("hello second"));
    let mut lines = vec![next_line(&mut heard).await, next_line(&mut heard).await];
    lines.sort();
    assert_eq!(
        lines,
        ["10001 answered hello first", "10002 answered hello second"]
    );

    // The same group message, seen by both accounts, is answered once.
    first.inject_group_message(100200, 234567, "李四", json!("大家好"));
    second.inject_group_message(100200, 234567, "李四", json!("大家好"));
    let mut lines = vec![next_line(&mut heard).await, next_line(&mut heard).await];
    lines.sort();
    let answered: Vec<&String> = lines.iter().filter(|l| l.contains("answered")).collect();
    assert_eq!(answered.len(), 1, "{lines:?}");
    assert_eq!(
        lines.iter().filter(|l| l.contains("claimed")).count(),
        1,
        "{lines:?}"
    );
    let sends = |sim: &Simulator| {
        sim.take_calls()
            .iter()
            .filter(|c| c.action == "send_msg" || c.action == "send_group_msg")
            .map(|c| c.params["message"].to_string())
            .collect::<Vec<_>>()
    };
    let (by_first, by_second) = (sends(&first), sends(&second));
    assert_eq!(
        by_first.len() + by_second.len(),
        3,
        "{by_first:?} {by_second:?}"
    );
    assert!(by_first.iter().all(|m| m.contains("answered by 10001")));
    assert!(by_second.iter().all(|m| m.contains("answered by 10002")));

    // A command with a wrong argument, seen by both accounts, is answered (with its usage)
    // by one of them. A plain message after it, once both accounts have handled it, shows
    // that both copies of the command were taken (each account's events are taken in order);
    // the bot's stop then waits for the answers under way.
    for sim in [&first, &second] {
        sim.inject_group_message(100200, 234567, "李四", json!("/ban 张三"));
        sim.inject_group_message(100200, 234567, "李四", json!("之后"));
    }
    let mut lines = vec![next_line(&mut heard).await, next_line(&mut heard).await];
    lines.sort();
    assert!(lines.iter().all(|l| l.contains("之后")), "{lines:?}");
    stop.send(()).unwrap();
    let summary = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.abandoned, 0);
    let usage: usize = [&first, &second]
        .iter()
        .map(|sim| {
            sim.take_calls()
                .iter()
                .filter(|c| {
                    c.action == "send_msg" && !c.params["message"].to_string().contains("answered")
                })
                .count()
        })
        .sum();
    assert_eq!(usage, 1, "the wrong command is answered once");
}
