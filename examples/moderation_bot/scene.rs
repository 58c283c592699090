//! Where the moderation bot runs: with a `ws://host:port/` argument it listens there for
//! NapCat's reverse WebSocket connections (any number of accounts) until Ctrl-C or SIGTERM;
//! without one it plays a scene with two simulated accounts in one group and prints what
//! the bot did.

use std::error::Error;
use std::net::SocketAddr;

use api_bot::dispatcher::{Bot, RunSummary};
use api_core::{AccessToken, ReverseOptions, ReverseServer, UserId};
use api_sim::{Seed, SimConfig, Simulator};
use serde_json::json;
use tokio::sync::mpsc;

use crate::{Decision, Decisions};

/// The group the scene plays in: both accounts own or administer it.
pub const GROUP: i64 = 100200;

/// The bot's two accounts in the scene.
pub const ACCOUNTS: [i64; 2] = [10001, 10002];

/// Serves the bot on the address given, or plays the scene.
pub async fn run(bot: impl FnOnce(Decisions) -> Bot) -> Result<(), Box<dyn Error>> {
    let (decisions, mut reported) = mpsc::unbounded_channel();
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        println!("no address given: playing a scene with two simulated accounts");
        let (done, sims) = play(bot(decisions), &mut reported).await?;
        for (account, decision) in done {
            println!("account {account}: {decision:?}");
        }
        for sim in &sims {
            println!("calls account {} made:", sim.with_state(|s| s.self_id()));
            for call in sim.calls() {
                println!("  {} {}", call.action, call.params);
            }
        }
        return Ok(());
    };
    let addr: SocketAddr = url
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .parse()
        .map_err(|e| format!("`{url}` is no ws://host:port/ address to listen on: {e}"))?;
    let options = ReverseOptions {
        access_token: args.next().map(AccessToken::from),
        ..ReverseOptions::default()
    };
    let server = ReverseServer::bind(addr, options).await?;
    println!(
        "listening at ws://{}/ for NapCat's reverse WebSocket",
        server.local_addr()
    );
    tokio::spawn(async move {
        while let Some((account, decision)) = reported.recv().await {
            println!("account {account}: {decision:?}");
        }
    });
    let summary: RunSummary = bot(decisions).serve(server).await;
    println!("stopped after {} events", summary.events);
    Ok(())
}

/// Plays the scene: both accounts see a greeting and a spam message in the group; the first
/// sees two join requests. Returns the bot's decisions (as many as the scene calls for) and
/// the two simulators.
pub async fn play(
    bot: Bot,
    reported: &mut mpsc::UnboundedReceiver<(UserId, Decision)>,
) -> Result<(Vec<(UserId, Decision)>, Vec<Simulator>), Box<dyn Error>> {
    let server = ReverseServer::bind(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        ReverseOptions::default(),
    )
    .await?;
    let url = format!("ws://{}/", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(bot.serve_until(server, async {
        let _ = stopped.await;
    }));
    let mut sims = Vec::new();
    for account in ACCOUNTS {
        let sim = Simulator::start(SimConfig {
            seed: Seed::for_account(account),
            ..SimConfig::default()
        })
        .await?;
        drop(sim.connect_reverse(&url, None));
        sim.wait_for_event_clients(1).await;
        sims.push(sim);
    }
    for sim in &sims {
        sim.inject_group_message(GROUP, 234567, "李四", json!("大家晚上好"));
        sim.inject_group_message(GROUP, 345678, "王五", json!("低价代刷，加我"));
    }
    sims[0].inject_group_request(GROUP, 567891, "吴九", "问题：暗号？\n答案：芝麻开门");
    sims[0].inject_group_request(GROUP, 678912, "郑十", "问题：暗号？\n答案：不知道");
    let mut done = Vec::new();
    while done.len() < 3 {
        done.push(reported.recv().await.ok_or("the bot stopped")?);
    }
    let _ = stop.send(());
    running.await?;
    Ok((done, sims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_core::GroupId;

    /// The spam is recalled and its sender banned once, by one account; the applicant with
    /// the passphrase is let in, the other is not.
    #[tokio::test]
    async fn one_account_bans_spam_and_requests_are_answered() {
        let (decisions, mut reported) = mpsc::unbounded_channel();
        let (done, sims) = play(crate::bot(decisions), &mut reported).await.unwrap();
        let mut what: Vec<String> = done.iter().map(|(_, d)| format!("{d:?}")).collect();
        what.sort();
        let group = GroupId(GROUP);
        assert_eq!(
            what,
            [
                format!(
                    "{:?}",
                    Decision::Approved {
                        group,
                        user: UserId(567891)
                    }
                ),
                format!(
                    "{:?}",
                    Decision::Banned {
                        group,
                        user: UserId(345678)
                    }
                ),
                format!(
                    "{:?}",
                    Decision::Refused {
                        group,
                        user: UserId(678912)
                    }
                ),
            ]
        );
        let recalls: Vec<usize> = sims
            .iter()
            .map(|s| {
                s.calls()
                    .iter()
                    .filter(|c| c.action == "delete_msg")
                    .count()
            })
            .collect();
        assert_eq!(
            recalls.iter().sum::<usize>(),
            1,
            "one account acts: {recalls:?}"
        );
        let banner = recalls.iter().position(|n| *n == 1).unwrap();
        let acting = done
            .iter()
            .find(|(_, d)| matches!(d, Decision::Banned { .. }))
            .unwrap()
            .0;
        assert_eq!(
            acting,
            UserId(ACCOUNTS[banner]),
            "the account that decided acted"
        );
        let answers: Vec<bool> = sims[0]
            .calls()
            .iter()
            .filter(|c| c.action == "set_group_add_request")
            .map(|c| c.params["approve"] == true)
            .collect();
        assert_eq!(answers, [true, false]);
    }
}
