//! `napcat bridge`: the NATS JetStream bridge as a process. It listens for NapCat's reverse
//! WebSocket (many accounts; NapCat's `websocketClients`), publishes every account's events to
//! the stream and answers the workers' action requests for the accounts whose lease it holds
//! (README, "Scaling out"). It holds NapCat forward WebSocket connections too (`--forward`).
//! On start it prints one JSON line with its NATS URL, its reverse WebSocket URL and its name,
//! for a script to read.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use api_bridge::bridge::Bridge;
use api_bridge::options::{BridgeOptions, DEFAULT_STREAM};
use api_bridge::partition::{DEFAULT_PARTITIONS, Partitions};
use api_bridge::testing::NatsServer;
use api_core::{Client, Pacing, ReverseOptions, ReverseServer};
use api_sim::{Seed, SimConfig, Simulator};
use clap::Args;
use serde_json::json;

use crate::sim::{interrupted, write_whole};

/// `napcat bridge`'s arguments.
#[derive(Args)]
pub struct BridgeArgs {
    /// The NATS server with JetStream to publish to.
    #[arg(long, value_name = "URL", default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// Start a nats-server with JetStream on a free port of 127.0.0.1 for this bridge alone
    /// (found on the PATH or at NATS_SERVER, else fetched once), instead of using --nats.
    #[arg(long, conflicts_with = "nats")]
    local_nats: bool,
    /// This bridge's name in the account leases (default: `bridge-<pid>`); one per bridge.
    #[arg(long)]
    id: Option<String>,
    /// Where NapCat's reverse WebSocket dials in (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The token NapCat must send (NapCat's `token`).
    #[arg(long, env = "NAPCAT_TOKEN", hide_env_values = true)]
    access_token: Option<String>,
    /// Seconds a lease lasts without renewal: another bridge takes a dead one's accounts
    /// within about this long.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    lease_ttl: u64,
    /// The stream events are published to.
    #[arg(long, default_value = DEFAULT_STREAM)]
    stream: String,
    /// How many chat partitions each account's events are divided into: up to this many of
    /// an account's events are handled at once by workers that keep per-chat order. Every
    /// bridge of a stream uses the stream's count.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PARTITIONS)]
    partitions: Partitions,
    /// Pace each account's message sends with the conservative limits (`Pacing::conservative`).
    #[arg(long)]
    paced: bool,
    /// Also hold the account behind this NapCat forward WebSocket URL (`ws://host:port/`,
    /// with the --access-token); may be given several times.
    #[arg(long, value_name = "URL")]
    forward: Vec<String>,
    /// Play this many accounts (10001, 10002, …) with the embedded simulator, dialing this
    /// bridge, so that workers can be tried without QQ.
    #[arg(long, value_name = "N", default_value_t = 0)]
    sim: u16,
    /// Also write the JSON line printed on start to this file (written whole); removed on
    /// exit.
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
}

/// Runs the bridge until Ctrl-C or SIGTERM, then stops it (the events on their way are
/// acknowledged by the stream first, and the leases given up).
pub async fn run(args: &BridgeArgs) -> Result<(), String> {
    // What the bridge logs (accounts coming and going, leases taken and lost, publishes sent
    // again) goes to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let local = match args.local_nats {
        true => Some(NatsServer::start()?),
        false => None,
    };
    let nats_url = local
        .as_ref()
        .map_or(args.nats.clone(), |s| s.url().to_owned());
    // The URL as shown: without the user and password it may carry.
    let shown_url = without_credentials(&nats_url);
    let nats = async_nats::connect(&nats_url)
        .await
        .map_err(|e| format!("cannot connect to NATS at {shown_url}: {e}"))?;
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("bridge-{}", std::process::id()));
    let options = BridgeOptions {
        stream: args.stream.clone(),
        lease_ttl: Duration::from_secs(args.lease_ttl.max(1)),
        partitions: args.partitions,
        pacing: args.paced.then(Pacing::conservative),
        ..BridgeOptions::new(id.clone())
    };
    let bridge = Bridge::start(nats, options)
        .await
        .map_err(|e| e.to_string())?;
    let reverse = ReverseServer::bind(
        args.listen,
        ReverseOptions {
            access_token: args.access_token.clone().map(Into::into),
            ..Bridge::reverse_options()
        },
    )
    .await
    .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let reverse_url = format!("ws://{}/", reverse.local_addr());
    bridge.serve_reverse(reverse).map_err(|e| e.to_string())?;
    let mut forward = Vec::new();
    for url in &args.forward {
        forward.push(hold_forward(&bridge, url, args.access_token.as_deref()).await?);
    }
    let mut sims = Vec::new();
    let simulated: Vec<i64> = (10001..).take(usize::from(args.sim)).collect();
    for &self_id in &simulated {
        let sim = Simulator::start(SimConfig {
            token: args.access_token.clone(),
            seed: Seed::for_account(self_id),
            ..SimConfig::default()
        })
        .await
        .map_err(|e| format!("cannot start the simulator: {e}"))?;
        sim.connect_reverse_with_reconnect(
            &reverse_url,
            args.access_token.as_deref(),
            Duration::from_secs(1),
        );
        sims.push(sim);
    }
    let ready = json!({
        "bridge": id,
        "nats": shown_url,
        "reverse": reverse_url,
        "stream": args.stream,
        "partitions": args.partitions.count(),
        "forward_accounts": forward,
        "simulated_accounts": simulated,
    });
    if let Some(path) = &args.ready_file {
        write_whole(path, &format!("{ready}\n"))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!("{ready}");
    eprintln!(
        "bridge {id}: NapCat dials {reverse_url}; events go to the stream {} on {shown_url}; \
         workers build their client over api_bridge::worker::NatsRelay",
        args.stream
    );
    let stopped = interrupted().await;
    bridge.shutdown().await;
    if let Some(path) = &args.ready_file {
        let _ = std::fs::remove_file(path);
    }
    stopped
}

/// Connects to NapCat's forward WebSocket at `url`, asks which account it is, and has the
/// bridge serve it; the account's QQ number.
async fn hold_forward(bridge: &Bridge, url: &str, token: Option<&str>) -> Result<u64, String> {
    let mut builder = Client::builder().ws_url(url);
    if let Some(token) = token {
        builder = builder.access_token(token);
    }
    let client = builder
        .connect()
        .await
        .map_err(|e| format!("cannot connect to NapCat at {url}: {e}"))?;
    // Subscribed before the first call, so that no event after it is missed.
    let events = client.events();
    let me = client
        .get_login_info()
        .await
        .map_err(|e| format!("NapCat at {url} did not say which account it is: {e}"))?;
    let self_id = u64::try_from(me.user_id.0)
        .map_err(|_| format!("NapCat at {url} named the account {}", me.user_id.0))?;
    bridge
        .serve_account(self_id, client, events)
        .map_err(|e| e.to_string())?;
    Ok(self_id)
}

/// `url` without the `user:password@` it may carry (`nats://***@host:4222`).
fn without_credentials(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    match rest.rsplit_once('@') {
        Some((_, host)) if scheme.is_empty() => format!("***@{host}"),
        Some((_, host)) => format!("{scheme}://***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_credentials;

    #[test]
    fn a_nats_url_is_shown_without_its_credentials() {
        assert_eq!(
            without_credentials("nats://bot:s3cret@10.0.0.2:4222"),
            "nats://***@10.0.0.2:4222"
        );
        assert_eq!(without_credentials("tok3n@host:4222"), "***@host:4222");
        assert_eq!(
            without_credentials("nats://127.0.0.1:4222"),
            "nats://127.0.0.1:4222"
        );
    }
}
