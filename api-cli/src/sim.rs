//! `napcat sim`: the simulator as a test server for a bot written in any language. It serves
//! NapCat's HTTP and forward WebSocket, dials the bot's reverse WebSocket (`--reverse`) and
//! posts events to it (`--http-post`) as NapCat does, starts from a scenario file, and serves
//! the control API through which `napcat sim inject …` and other processes make things happen
//! and read the calls the bot made. On start it prints one JSON line with its URLs and token
//! (and writes it to `--ready-file`), for a script to read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use api_sim::{Seed, SimConfig, Simulator};
use clap::Args;
use serde_json::json;

use crate::sim_control::SimCommand;

/// `napcat sim`'s arguments: serving options, or a command for a running simulator.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SimArgs {
    /// Talk to a running simulator instead of serving one.
    #[command(subcommand)]
    pub command: Option<SimCommand>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// How the simulator serves.
#[derive(Args)]
pub struct ServeArgs {
    /// HTTP port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Forward WebSocket port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 3001)]
    ws_port: u16,
    /// Control API port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 3002)]
    control_port: u16,
    /// The token bots must give (NapCat's `token`); also sent when dialing --reverse.
    #[arg(long)]
    access_token: Option<String>,
    /// The account to start from: a JSON (or JSON5) file with the seed's keys (friends,
    /// groups with members and roles, files, …); keys left out keep the default account's.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Dial this reverse WebSocket URL of a bot, and again after it closes or fails (NapCat's
    /// `websocketClients`); may be given several times.
    #[arg(long, value_name = "URL")]
    reverse: Vec<String>,
    /// Milliseconds between reverse WebSocket attempts (NapCat's `reconnectInterval`).
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    reconnect_interval: u64,
    /// Post every event to this URL of a bot and apply its answers as quick operations
    /// (NapCat's `httpClients`); may be given several times.
    #[arg(long, value_name = "URL")]
    http_post: Vec<String>,
    /// Sign --http-post bodies with this secret (`x-signature: sha1=…`, NapCat's `token` of
    /// an HTTP client).
    #[arg(long, requires = "http_post")]
    secret: Option<String>,
    /// Milliseconds between heartbeats on WebSocket connections (NapCat's `heartInterval`).
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    heartbeat: u64,
    /// Report the bot's own messages as `message_sent` events (NapCat's `reportSelfMessage`).
    #[arg(long)]
    report_self_message: bool,
    /// Also write the JSON line printed on start to this file, once everything is bound
    /// (written whole: the file appears complete or not at all); removed on exit.
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
}

/// Serves until interrupted (Ctrl-C or SIGTERM).
pub async fn serve(args: &ServeArgs) -> Result<(), String> {
    let seed = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read scenario {}: {e}", path.display()))?;
            Seed::from_scenario(&text).map_err(|e| format!("scenario {}: {e}", path.display()))?
        }
        None => Seed::default(),
    };
    let self_id = seed.self_id;
    let sim = Simulator::start(SimConfig {
        token: args.access_token.clone(),
        seed,
        http_addr: ([127, 0, 0, 1], args.port).into(),
        ws_addr: ([127, 0, 0, 1], args.ws_port).into(),
        heartbeat: Duration::from_millis(args.heartbeat.max(1)),
        report_self_message: args.report_self_message,
    })
    .await
    .map_err(|e| {
        format!(
            "cannot bind ports {} and {} on 127.0.0.1: {e}",
            args.port, args.ws_port
        )
    })?;
    let control = sim
        .serve_control(([127, 0, 0, 1], args.control_port).into())
        .await
        .map_err(|e| {
            format!(
                "cannot bind the control port {} on 127.0.0.1: {e}",
                args.control_port
            )
        })?;
    for url in &args.http_post {
        sim.post_events_to(url, args.secret.as_deref());
    }
    let reconnect = Duration::from_millis(args.reconnect_interval);
    for url in &args.reverse {
        sim.connect_reverse_with_reconnect(url, args.access_token.as_deref(), reconnect);
    }
    let ready = json!({
        "http": sim.http_url(),
        "ws": sim.ws_url("/"),
        "control": format!("http://{control}"),
        "access_token": args.access_token,
        "self_id": self_id,
    });
    // The file first: a script that read the line finds the file there too.
    if let Some(path) = &args.ready_file {
        write_whole(path, &format!("{ready}\n"))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!("{ready}");
    eprintln!(
        "NapCat simulator: HTTP {}, WebSocket {}, control API http://{control}\n\
         make things happen with: napcat sim inject --control http://{control} KIND key=value… \
         (napcat sim kinds lists them)",
        sim.http_url(),
        sim.ws_url("/"),
    );
    let stopped = interrupted().await;
    if let Some(path) = &args.ready_file {
        let _ = std::fs::remove_file(path);
    }
    stopped
}

/// Writes `text` beside `path` and renames it there, so a reader never sees half of it.
pub(crate) fn write_whole(path: &Path, text: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
pub(crate) async fn interrupted() -> Result<(), String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
        tokio::select! {
            c = tokio::signal::ctrl_c() => c.map_err(|e| e.to_string()),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())
    }
}
