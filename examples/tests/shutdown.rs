//! A bot served against a NapCat (here the simulator, named on the command line as a real
//! NapCat would be) stops cleanly at Ctrl-C or SIGTERM: it stops taking events, waits for its
//! running handlers, prints its summary and exits with success. Without the dispatcher's
//! signal handling the signal kills the process and these tests fail.
#![cfg(unix)]

use std::process::Stdio;
use std::time::Duration;

use api_core::Client;
use api_core::types::Event;
use api_sim::{SimConfig, Simulator};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The longest any step may take on a loaded machine before the test gives up.
const PATIENCE: Duration = Duration::from_secs(120);

/// Reads the bot's output until a line holding `wanted`; every line read.
async fn read_until(lines: &mut Lines<BufReader<ChildStdout>>, wanted: &str) -> Vec<String> {
    let mut read = Vec::new();
    let reading = async {
        while let Some(line) = lines.next_line().await.expect("the bot's output reads") {
            let found = line.contains(wanted);
            read.push(line);
            if found {
                return;
            }
        }
    };
    tokio::time::timeout(PATIENCE, reading)
        .await
        .unwrap_or_else(|_| panic!("the bot never printed {wanted:?}"));
    assert!(
        read.last().is_some_and(|l| l.contains(wanted)),
        "the bot ended its output without {wanted:?}: {read:?}"
    );
    read
}

/// Starts `command_bot` against a simulator, and waits until it answers a `/ping`.
async fn serving_bot() -> (Simulator, Child, Lines<BufReader<ChildStdout>>) {
    let sim = Simulator::start(SimConfig {
        report_self_message: true,
        heartbeat: Duration::from_secs(24 * 3600),
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts");
    let mut bot = Command::new(env!("CARGO_BIN_EXE_command_bot"))
        .arg(sim.ws_url("/"))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("command_bot starts");
    let stdout = bot.stdout.take().expect("the bot's output is piped");
    let mut lines = BufReader::new(stdout).lines();
    read_until(&mut lines, "serving until Ctrl-C or SIGTERM").await;
    // The bot subscribes to events just after it says it is serving: the test listens for
    // what it sends, and pings until it answers (a ping made before it listened is lost).
    let watcher = Client::builder()
        .ws_url(sim.ws_url("/"))
        .connect()
        .await
        .expect("the test's client connects");
    let mut heard = watcher.events();
    let answered = async {
        loop {
            sim.inject_group_message(100200, 234567, "小明", serde_json::json!("/ping"));
            let answer = tokio::time::timeout(Duration::from_secs(2), async {
                loop {
                    match heard.recv().await {
                        Ok(Event::MessageSent(m)) if m.message.plain_text() == "pong" => return,
                        Ok(_) => {}
                        Err(e) => panic!("the test's client stopped hearing: {e}"),
                    }
                }
            });
            if answer.await.is_ok() {
                return;
            }
        }
    };
    tokio::time::timeout(PATIENCE, answered)
        .await
        .expect("the served bot answers /ping");
    (sim, bot, lines)
}

/// Sends `signal` to the bot and checks it stops as it should.
async fn stops_at(signal: &str) {
    let (_sim, mut bot, mut lines) = serving_bot().await;
    let pid = bot.id().expect("the bot runs").to_string();
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{signal} {pid} failed");
    let said = read_until(&mut lines, "stopped after").await;
    let status = tokio::time::timeout(PATIENCE, bot.wait())
        .await
        .expect("the bot exits after the signal")
        .expect("the bot's status reads");
    assert!(
        status.success(),
        "after {signal} the bot exited with {status}; it said {said:?}"
    );
}

#[tokio::test]
async fn sigterm_stops_the_bot_cleanly() {
    stops_at("TERM").await;
}

#[tokio::test]
async fn ctrl_c_stops_the_bot_cleanly() {
    stops_at("INT").await;
}
