//! A bot scaled out through NATS JetStream: a bridge holds the NapCat accounts, and workers
//! (any number, in any process) run the same bot over them. Each message goes to one worker;
//! a worker that dies leaves its messages to the others.
//!
//! ```sh
//! cargo run -p bot-examples --bin scaled_bot                                         # all here
//! cargo run -p bot-examples --bin scaled_bot -- nats://127.0.0.1:4222 10001 10002   # a worker
//! ```
//!
//! Without arguments it starts everything on this machine: a nats-server with JetStream
//! (found on the `PATH`, or fetched once), three accounts played by the simulator, a bridge
//! that holds them and two workers. Users say `/ping` in each account's group, every answer
//! says which worker gave it, and it exits. With a NATS URL and account ids, it is one worker
//! of a deployment (bridges started with `napcat bridge`) and serves until Ctrl-C or SIGTERM.

use std::time::Duration;

use api_bot::commands::Commands;
use api_bot::dispatcher::Bot;
use api_bot::reply::Reply;
use api_bridge::bridge::Bridge;
use api_bridge::options::BridgeOptions;
use api_bridge::testing::NatsServer;
use api_bridge::worker::NatsRelay;
use api_core::{Client, ReverseServer};
use api_sim::{Seed, SimConfig, Simulator};
use serde_json::json;

#[derive(Commands)]
enum Command {
    Ping,
}

/// The bot every worker runs; `worker` names the worker in its answers.
fn bot(worker: String) -> Bot {
    Bot::new().on(move |command: Command| {
        let worker = worker.clone();
        async move {
            match command {
                Command::Ping => Reply::from(format!("pong from {worker}")),
            }
        }
    })
}

/// A worker's client for the account `self_id`: calls and events through NATS, each chat's
/// messages in the order they were said, across the workers.
fn client(nats: &async_nats::Client, self_id: u64) -> Result<Client, api_core::Error> {
    Client::builder()
        .relay(NatsRelay::new(nats.clone(), self_id).per_chat_order(true))
        .build()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((url, accounts)) => serve(url, accounts).await,
        None => play().await,
    }
}

/// One worker of a deployment: the bot over each account until Ctrl-C or SIGTERM.
async fn serve(url: &str, accounts: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    if accounts.is_empty() {
        return Err("name the accounts to serve after the NATS URL, e.g. 10001 10002".into());
    }
    let nats = async_nats::connect(url).await?;
    let worker = format!("worker-{}", std::process::id());
    let mut running = tokio::task::JoinSet::new();
    for account in accounts {
        let self_id: u64 = account
            .parse()
            .map_err(|_| format!("`{account}` is not an account id (a QQ number)"))?;
        running.spawn(bot(worker.clone()).run(client(&nats, self_id)?));
    }
    println!(
        "{worker}: serving {} accounts until Ctrl-C or SIGTERM",
        accounts.len()
    );
    while let Some(summary) = running.join_next().await {
        println!("{worker}: stopped after {} events", summary?.events);
    }
    Ok(())
}

/// Everything on this machine: a nats-server, three simulated accounts, a bridge, two workers.
async fn play() -> Result<(), Box<dyn std::error::Error>> {
    let server = NatsServer::start()?;
    let nats = async_nats::connect(server.url()).await?;
    println!("nats-server with JetStream at {}", server.url());

    let bridge = Bridge::start(nats.clone(), BridgeOptions::new("bridge-1")).await?;
    let reverse =
        ReverseServer::bind(([127, 0, 0, 1], 0).into(), Bridge::reverse_options()).await?;
    let url = format!("ws://{}/", reverse.local_addr());
    bridge.serve_reverse(reverse)?;
    let mut accounts = Vec::new();
    for self_id in [10001, 10002, 10003] {
        let sim = Simulator::start(SimConfig {
            seed: Seed::for_account(self_id),
            ..SimConfig::default()
        })
        .await?;
        sim.connect_reverse(&url, None);
        accounts.push((self_id as u64, sim));
    }
    for (self_id, sim) in &accounts {
        bridge.wait_for_lease(*self_id, true).await;
        // NapCat sends its events to the bridge once its side of the connection is set up.
        sim.wait_for_event_clients(1).await;
    }
    println!("bridge-1 holds accounts {:?}", bridge.accounts());

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = tokio::task::JoinSet::new();
    for worker in ["worker-1", "worker-2"] {
        for (self_id, _) in &accounts {
            let mut stopped = stopped.clone();
            let until = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            workers.spawn(bot(worker.to_owned()).run_until(client(&nats, *self_id)?, until));
        }
    }

    const PINGS: usize = 4;
    for (_, sim) in &accounts {
        for user in [123456, 234567, 345678, 456789].into_iter().take(PINGS) {
            sim.inject_group_message(100200, user, "群友", json!("/ping"));
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for (self_id, sim) in &accounts {
        let answers = loop {
            let answers: Vec<String> = sim
                .calls()
                .into_iter()
                .filter(|c| c.action == "send_msg")
                .map(|c| c.params["message"].to_string())
                .collect();
            if answers.len() >= PINGS {
                break answers;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "account {self_id}: {} answers to {PINGS} pings",
                    answers.len()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        for answer in answers {
            let worker = ["worker-1", "worker-2"]
                .into_iter()
                .find(|w| answer.contains(w))
                .ok_or_else(|| format!("an answer names no worker: {answer}"))?;
            println!("account {self_id}: /ping answered by {worker}");
        }
    }

    stop.send_replace(true);
    while let Some(summary) = workers.join_next().await {
        summary?;
    }
    // Each message was answered once, by one of the workers.
    for (self_id, sim) in &accounts {
        let answers = sim
            .calls()
            .iter()
            .filter(|c| c.action == "send_msg")
            .count();
        if answers != PINGS {
            return Err(format!("account {self_id}: {answers} answers to {PINGS} pings").into());
        }
    }
    bridge.shutdown().await;
    println!("done");
    Ok(())
}
