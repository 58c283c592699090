//! Scaling out with every part in a process of its own: a real nats-server, two `napcat
//! bridge` processes, three worker processes (this test binary, started again as
//! `worker_process`) running a bot over `NatsRelay`, and three accounts played by the
//! simulator, each dialing both bridges as NapCat's two `websocketClients` would.
//!
//! Ten thousand messages in eighteen chats are each handled, each chat's in the order NapCat
//! sent them (the workers ask for per-chat order), and the stream holds each once though both
//! bridges publish it. A worker killed with SIGKILL mid-stream loses nothing: what it took and
//! did not acknowledge is delivered again to the others, before anything later of its chat. When the bridge holding the leases is killed,
//! the other takes every account over, answers the workers' calls and publishes what comes
//! next; started again, the killed bridge publishes it too, and the stream still holds each
//! message once. A bridge also holds an account behind NapCat's forward WebSocket.
#![cfg(unix)]

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use api_bot::Bot;
use api_bridge::testing::NatsServer;
use api_bridge::worker::NatsRelay;
use api_core::Client;
use api_core::types::MessageEvent;
use api_sim::{Seed, SimConfig, Simulator};
use async_nats::jetstream::{self, consumer, kv};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// The accounts the simulator plays.
const ACCOUNTS: [u64; 3] = [30001, 30002, 30003];
/// Set (to the NATS URL) in the environment of a worker process.
const WORKER_ENV: &str = "SCALE_OUT_WORKER_NATS";
/// Set (to the file the workers append what they handle to) in a worker's environment.
const HANDLED_LOG_ENV: &str = "SCALE_OUT_HANDLED_LOG";
/// The groups each account's messages are said in, in turn.
const GROUPS: [i64; 6] = [100200, 100201, 100202, 100203, 100204, 100205];
/// The workers' group: they share each account's events.
const GROUP: &str = "scale-out";
/// How long an event may stay unacknowledged before it is delivered again: long enough that
/// a busy machine's late acknowledgements do not cause redeliveries.
const ACK_WAIT: Duration = Duration::from_secs(10);
/// How long a lease lasts without renewal.
const LEASE_TTL: Duration = Duration::from_secs(3);
/// The longest any step may take on a loaded machine before the test gives up.
const PATIENCE: Duration = Duration::from_secs(240);

/// Not a test of its own: the worker process the test below starts (this binary, run with
/// `--ignored` and `WORKER_ENV` set). It runs a bot over every account, in per-chat order,
/// that appends `<account> <group> <message id>` to the shared log for each message (one
/// write, before the message is acknowledged: the log's order is the order of handling) and
/// prints `handled <account> <message id>`, until it is killed.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a worker process that the scale-out test starts"]
async fn worker_process() {
    let url = std::env::var(WORKER_ENV).expect("started by the scale-out test");
    let log = std::env::var(HANDLED_LOG_ENV).expect("started by the scale-out test");
    let log = std::sync::Arc::new(
        std::fs::OpenOptions::new()
            .append(true)
            .open(log)
            .expect("the shared log opens"),
    );
    let nats = async_nats::connect(url).await.expect("connect to NATS");
    let mut bots = tokio::task::JoinSet::new();
    for account in ACCOUNTS {
        let relay = NatsRelay::new(nats.clone(), account)
            .group(GROUP)
            .ack_wait(ACK_WAIT)
            .per_chat_order(true);
        let client = Client::builder().relay(relay).build().expect("a client");
        let log = log.clone();
        let bot = Bot::new().on(move |m: MessageEvent| {
            let log = log.clone();
            async move {
                let group = m.group_id.map_or(0, |g| g.0);
                let line = format!("{account} {group} {}\n", m.message_id.0);
                (&*log)
                    .write_all(line.as_bytes())
                    .expect("the shared log takes a line");
                println!("handled {account} {}", m.message_id.0);
            }
        });
        bots.spawn(bot.run_until(client, std::future::pending()));
    }
    println!("worker ready");
    bots.join_next().await;
}

/// A `napcat bridge` process named `id` on `nats`, and the URL NapCat dials.
async fn start_bridge(nats: &str, id: &str) -> (Child, String) {
    let (bridge, ready) = start_bridge_with(nats, id, &[]).await;
    (
        bridge,
        ready["reverse"].as_str().expect("its URL").to_owned(),
    )
}

/// A `napcat bridge` process named `id` on `nats` with `extra` arguments, and the line it
/// printed once ready.
async fn start_bridge_with(nats: &str, id: &str, extra: &[&str]) -> (Child, Value) {
    let mut bridge = Command::new(env!("CARGO_BIN_EXE_napcat"))
        .args([
            "bridge",
            "--nats",
            nats,
            "--listen",
            "127.0.0.1:0",
            "--id",
            id,
        ])
        .args(["--lease-ttl", &LEASE_TTL.as_secs().to_string()])
        .args(extra)
        .env_remove("NAPCAT_TOKEN")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("napcat bridge starts");
    let mut lines = BufReader::new(bridge.stdout.take().expect("piped")).lines();
    let ready = tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .expect("the bridge says where it listens")
        .expect("its output reads")
        .expect("a line");
    (bridge, serde_json::from_str(&ready).expect("a JSON line"))
}

/// A worker process (see `worker_process`), sending what it handles to `handled` as
/// `(worker, account, message id)`; returns once it is ready.
async fn start_worker(
    nats: &str,
    log: &Path,
    worker: usize,
    handled: mpsc::UnboundedSender<(usize, u64, i64)>,
) -> Child {
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["worker_process", "--exact", "--ignored", "--nocapture"])
        .env(WORKER_ENV, nats)
        .env(HANDLED_LOG_ENV, log)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("a worker starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut ready_tx = Some(ready_tx);
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("worker ready") {
                ready_tx.take().map(|tx| tx.send(()));
            }
            let mut words = line.split(' ');
            if let (Some("handled"), Some(account), Some(id)) =
                (words.next(), words.next(), words.next())
            {
                let _ = handled.send((worker, account.parse().unwrap(), id.parse().unwrap()));
            } else {
                // The test harness's own lines, and a failure's.
                eprintln!("worker {worker}: {line}");
            }
        }
    });
    tokio::time::timeout(PATIENCE, ready)
        .await
        .expect("the worker starts in time")
        .expect("the worker is ready");
    child
}

/// A client that makes calls for `account` through NATS (it reads no events here).
fn worker_client(nats: &async_nats::Client, account: u64) -> Client {
    Client::builder()
        .relay(NatsRelay::new(nats.clone(), account))
        .build()
        .expect("a client")
}

/// A worker's client for `account`, once a bridge has answered its call for the account's
/// login info with the account's own.
async fn answered_through_nats(nats: &async_nats::Client, account: u64) -> Client {
    let api = worker_client(nats, account);
    let me = api
        .get_login_info()
        .await
        .expect("a bridge answers the call");
    assert_eq!(me.user_id.0, account as i64);
    api
}

/// Who holds each account's lease now (`None`: nobody).
async fn holders(leases: &kv::Store) -> Vec<Option<String>> {
    let mut holders = Vec::new();
    for account in ACCOUNTS {
        let value = leases.get(account.to_string()).await.expect("read a lease");
        holders.push(value.map(|v| String::from_utf8_lossy(&v).into_owned()));
    }
    holders
}

/// Waits, up to `PATIENCE`, until `done` says yes.
async fn wait_until<F: Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < PATIENCE, "gave up waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Injects `per_account` group messages into each account, in turn, said in the `GROUPS` in
/// turn; their `(account, id)`, and each chat's ids in the order sent.
fn inject(
    sims: &[(u64, Simulator)],
    per_account: usize,
    from: usize,
    chats: &mut HashMap<(u64, i64), Vec<i64>>,
) -> Vec<(u64, i64)> {
    let users = [123456, 234567, 345678];
    let mut sent = Vec::new();
    for i in from..from + per_account {
        for (account, sim) in sims {
            let (user, group) = (users[i % users.len()], GROUPS[i % GROUPS.len()]);
            let id = sim.inject_group_message(group, user, "群友", json!(format!("m{i}")));
            sent.push((*account, id));
            chats.entry((*account, group)).or_default().push(id);
        }
    }
    sent
}

/// Checks that the workers handled each chat's messages in the order sent, from the shared
/// log; a message handled twice (the killed worker's) is handled again before anything later
/// of its chat.
fn assert_each_chat_in_order(log: &Path, chats: &HashMap<(u64, i64), Vec<i64>>) {
    let log = std::fs::read_to_string(log).expect("the shared log reads");
    let mut handled: HashMap<(u64, i64), Vec<i64>> = HashMap::new();
    for line in log.lines() {
        let mut words = line.split(' ').map(|w| w.parse::<i64>().expect("a number"));
        let (Some(account), Some(group), Some(id)) = (words.next(), words.next(), words.next())
        else {
            panic!("a line of the log is not `<account> <group> <id>`: {line:?}");
        };
        let ids = handled.entry((account as u64, group)).or_default();
        // Handled again right after itself: the killed worker's message, delivered again.
        if ids.last() != Some(&id) {
            ids.push(id);
        }
    }
    assert_eq!(handled.len(), chats.len(), "every chat's messages handled");
    for (chat, sent) in chats {
        assert_eq!(
            handled.get(chat),
            Some(sent),
            "chat {chat:?}: handled in another order than sent"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_reach_the_workers_once_through_two_bridges_and_survive_kills() {
    let server = NatsServer::start().expect("a nats-server");
    let nats = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(nats.clone());
    let mut bridges = HashMap::new();
    for id in ["bridge-1", "bridge-2"] {
        bridges.insert(id.to_owned(), start_bridge(server.url(), id).await);
    }
    let mut sims = Vec::new();
    for account in ACCOUNTS {
        let sim = Simulator::start(SimConfig {
            seed: Seed::for_account(account as i64),
            heartbeat: Duration::from_secs(24 * 3600),
            ..SimConfig::default()
        })
        .await
        .expect("the simulator starts");
        for (_, url) in bridges.values() {
            sim.connect_reverse_with_reconnect(url, None, Duration::from_millis(200));
        }
        sims.push((account, sim));
    }
    let leases = js
        .get_key_value("napcat_accounts")
        .await
        .expect("the leases");
    wait_until("every account has a bridge", || async {
        holders(&leases).await.iter().all(Option::is_some)
    })
    .await;
    // NapCat sends events on both connections from now on.
    for (_, sim) in &sims {
        sim.wait_for_event_clients(2).await;
    }

    let (handled_tx, mut handled) = mpsc::unbounded_channel();
    let log_dir = tempfile::tempdir().expect("a directory for the shared log");
    let log = log_dir.path().join("handled.log");
    std::fs::File::create(&log).expect("the shared log");
    let mut workers = Vec::new();
    for worker in 0..3 {
        workers.push(start_worker(server.url(), &log, worker, handled_tx.clone()).await);
    }

    // Ten thousand messages (3,334 per account, in six groups each); the first worker is
    // killed once a fifth of them are handled, with what it took and has not handled yet.
    let mut chats = HashMap::new();
    let sent = inject(&sims, 3334, 0, &mut chats);
    let mut unhandled: HashSet<(u64, i64)> = sent.iter().copied().collect();
    let mut by: HashMap<(u64, i64), Vec<usize>> = HashMap::new();
    let mut killed_after = None;
    let start = Instant::now();
    while !unhandled.is_empty() {
        let left = PATIENCE.saturating_sub(start.elapsed());
        let (worker, account, id) = tokio::time::timeout(left, handled.recv())
            .await
            .unwrap_or_else(|_| {
                let done = sent.len() - unhandled.len();
                panic!("{done} of {} messages handled in time", sent.len())
            })
            .expect("workers report");
        unhandled.remove(&(account, id));
        by.entry((account, id)).or_default().push(worker);
        let first_worked = by.values().any(|w| w.contains(&0));
        if killed_after.is_none() && first_worked && by.len() >= sent.len() / 5 {
            workers[0].start_kill().expect("SIGKILL the first worker");
            killed_after = Some(by.len());
        }
    }
    let killed_after = killed_after.expect("the first worker was killed mid-stream");
    // Every message handled; a second time only when the killed worker had it in hand.
    for ((account, id), handlers) in &by {
        assert!(
            handlers.len() == 1 || handlers.contains(&0),
            "message {id} of {account} handled by {handlers:?}"
        );
    }
    let again = by.values().filter(|h| h.len() > 1).count();
    println!(
        "{} messages handled in {:?} (what the killed worker held comes again after the \
         ack wait, {ACK_WAIT:?}); the first worker killed after {killed_after}; {again} \
         handled a second time",
        by.len(),
        start.elapsed()
    );

    // Both bridges published every message; the stream holds each once.
    let stream = js.get_stream("NAPCAT_EVENTS").await.expect("the stream");
    let audit = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some("audit".into()),
            filter_subject: "napcat.*.event.message.>".into(),
            ..Default::default()
        })
        .await
        .expect("an audit consumer");
    assert_eq!(audit.cached_info().num_pending, sent.len() as u64);

    // The bridge holding the first account's lease dies; the other takes every account.
    let holder = holders(&leases).await[0].clone().expect("a holder");
    let (mut dead, _) = bridges.remove(&holder).expect("a bridge of ours");
    dead.start_kill().expect("SIGKILL the bridge");
    let died = Instant::now();
    let survivor = bridges.keys().next().expect("one left").clone();
    wait_until("the other bridge holds every account", || async {
        holders(&leases)
            .await
            .iter()
            .all(|h| h.as_deref() == Some(survivor.as_str()))
    })
    .await;
    let moved_after = died.elapsed();
    println!("the leases moved {moved_after:?} after the bridge died (TTL {LEASE_TTL:?})");
    // A dead bridge's leases age out within one TTL of its last renewal, and the other
    // bridge tries every quarter TTL: about 1.25 TTL at most, with room for a busy machine.
    assert!(
        moved_after < LEASE_TTL * 3,
        "the leases moved after {moved_after:?}, more than three times the TTL"
    );
    // The survivor answers the workers' calls and publishes what comes next.
    answered_through_nats(&nats, ACCOUNTS[1]).await;
    // The dead bridge starts again, under its name, and NapCat dials it too: both publish
    // what comes next, and the stream still holds each message once.
    let (restarted, url) = start_bridge(server.url(), &holder).await;
    bridges.insert(holder.clone(), (restarted, url.clone()));
    for (_, sim) in &sims {
        sim.connect_reverse_with_reconnect(&url, None, Duration::from_millis(200));
    }
    // NapCat sends events to the survivor and the restarted bridge.
    for (_, sim) in &sims {
        sim.wait_for_event_clients(2).await;
    }
    let later = inject(&sims, 100, 3334, &mut chats);
    let mut seen = 0;
    while seen < later.len() {
        let (_, account, id) = tokio::time::timeout(PATIENCE, handled.recv())
            .await
            .expect("the later messages handled in time")
            .expect("workers report");
        if later.contains(&(account, id)) && !by.contains_key(&(account, id)) {
            by.insert((account, id), Vec::new());
            seen += 1;
        }
    }
    let mut audit = stream
        .get_consumer::<consumer::pull::Config>("audit")
        .await
        .expect("the audit consumer");
    let pending = audit.info().await.expect("its info").num_pending;
    assert_eq!(pending, (sent.len() + later.len()) as u64, "each once");
    // Each chat's messages, the later ones too, were handled in the order sent.
    assert_each_chat_in_order(&log, &chats);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bridge_holds_an_account_behind_a_forward_websocket() {
    let server = NatsServer::start().expect("a nats-server");
    let nats = async_nats::connect(server.url()).await.expect("connect");
    let sim = Simulator::start(SimConfig {
        seed: Seed::for_account(ACCOUNTS[2] as i64),
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts");
    let url = sim.ws_url("/");
    let (_bridge, ready) = start_bridge_with(server.url(), "bridge-f", &["--forward", &url]).await;
    assert_eq!(ready["forward_accounts"], json!([ACCOUNTS[2]]));
    sim.wait_for_event_clients(1).await;
    // A worker's call reaches NapCat through it, and NapCat's events come back.
    let api = answered_through_nats(&nats, ACCOUNTS[2]).await;
    let mut events = api.events();
    let id = sim.inject_group_message(100200, 123456, "群友", json!("over forward"));
    loop {
        let event = tokio::time::timeout(PATIENCE, events.recv())
            .await
            .expect("the message in time")
            .expect("an event");
        if let api_core::types::Event::Message(m) = event {
            assert_eq!(m.message_id.0, id);
            break;
        }
    }
}
