//! What the bridge's tests share: a real nats-server, a simulator playing one account, and
//! bridges it dials.

#![allow(dead_code)]

use std::time::Duration;

use api_bridge::bridge::Bridge;
use api_bridge::options::BridgeOptions;
use api_bridge::testing::NatsServer;
use api_core::ReverseServer;
use api_sim::{Seed, SimConfig, Simulator};
use async_nats::client::Client as NatsClient;

pub const ACCOUNT: u64 = 20001;

/// The longest any step may take on a loaded machine before a test gives up.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Waits, up to [`PATIENCE`], until `done` says yes; panics naming `what` otherwise.
pub async fn wait_until<F: Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let start = std::time::Instant::now();
    while !done().await {
        assert!(start.elapsed() < PATIENCE, "gave up waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A real nats-server, and a connection to it.
pub async fn nats() -> (NatsServer, NatsClient) {
    let server = NatsServer::start().expect("a nats-server");
    let nats = async_nats::connect(server.url()).await.expect("connect");
    (server, nats)
}

/// A simulator playing the account `ACCOUNT`.
pub async fn account() -> Simulator {
    Simulator::start(SimConfig {
        seed: Seed::for_account(ACCOUNT as i64),
        ..Default::default()
    })
    .await
    .expect("the simulator starts")
}

/// A bridge named `name` serving a reverse WebSocket server the simulator dials.
pub async fn bridge(nats: &NatsClient, name: &str, ttl: Duration, sim: &Simulator) -> Bridge {
    let options = BridgeOptions {
        lease_ttl: ttl,
        ..BridgeOptions::new(name)
    };
    bridge_with(nats, options, sim).await
}

/// A bridge with `options` serving a reverse WebSocket server the simulator dials.
pub async fn bridge_with(nats: &NatsClient, options: BridgeOptions, sim: &Simulator) -> Bridge {
    let (bridge, url) = serving(nats, options).await;
    sim.connect_reverse(&url, None);
    bridge
}

/// A bridge with `options` serving a reverse WebSocket server, and the URL NapCat dials.
pub async fn serving(nats: &NatsClient, options: BridgeOptions) -> (Bridge, String) {
    let bridge = Bridge::start(nats.clone(), options)
        .await
        .expect("the bridge starts");
    let server = ReverseServer::bind(([127, 0, 0, 1], 0).into(), Bridge::reverse_options())
        .await
        .expect("bind");
    let url = format!("ws://{}/", server.local_addr());
    bridge.serve_reverse(server).expect("serve");
    (bridge, url)
}

/// Waits until `bridge` serves the account.
pub async fn connected(bridge: &Bridge) {
    wait_until("the bridge serves the account", || async {
        bridge.accounts().iter().any(|(id, _)| *id == ACCOUNT)
    })
    .await;
}

/// A nats-server, the account's simulator and one bridge serving it (lease TTL 15 s).
pub struct OneBridge {
    /// Kept running while the test runs.
    pub server: NatsServer,
    pub nats: NatsClient,
    pub sim: Simulator,
    pub bridge: Bridge,
}

/// A nats-server, the account and a bridge `bridge-a` that serves it.
pub async fn one_bridge() -> OneBridge {
    let (server, nats) = nats().await;
    let sim = account().await;
    let bridge = bridge(&nats, "bridge-a", Duration::from_secs(15), &sim).await;
    connected(&bridge).await;
    // The bridge has the account; NapCat sends it events once its side is set up too.
    sim.wait_for_event_clients(1).await;
    OneBridge {
        server,
        nats,
        sim,
        bridge,
    }
}
