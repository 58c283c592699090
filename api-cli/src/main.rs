//! `napcat`: call NapCat from the command line, driven by the spec.
//!
//! What actions there are and what they take comes from one place, the spec model
//! (`api_spec::builtin()`): `actions` lists it, `describe` shows one action, and `call` reads
//! each `key=value` by the parameter's type in it. The generated table (`api_core`'s
//! `action_by_name`) is used only to run an action through its generated call.

mod args;
mod tour;
mod transfer;

use std::process::ExitCode;
use std::time::Duration;

use api_core::Client;
use api_sim::{SimConfig, Simulator};
use api_spec::Presence;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "napcat",
    version,
    about = "Call NapCat actions from the command line"
)]
struct Cli {
    /// NapCat's URL (http://… for HTTP, ws://… for WebSocket); without it an embedded
    /// simulator is started.
    #[arg(long, env = "NAPCAT_URL", global = true)]
    url: Option<String>,
    /// Access token.
    #[arg(long, env = "NAPCAT_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    /// Transport to use.
    #[arg(long, value_enum, default_value = "http", global = true)]
    transport: Transport,
    /// Timeout per call, in seconds.
    #[arg(long, default_value_t = 30, global = true)]
    timeout: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Transport {
    /// POST /{action}.
    Http,
    /// Forward WebSocket.
    Ws,
}

#[derive(Subcommand)]
enum Command {
    /// Runs every action's spec example against the embedded simulator and prints a table.
    Tour,
    /// Lists every action: Rust name, wire name, one-line doc.
    Actions,
    /// Shows an action's parameters and return type.
    Describe {
        /// Rust or wire name.
        action: String,
    },
    /// Calls an action: `napcat call send_like user_id=123456 times=5`.
    Call {
        /// Rust or wire name.
        action: String,
        /// Parameters as key=value (Rust or wire names).
        params: Vec<String>,
        /// Parameters as a JSON object (key=value pairs override it).
        #[arg(long)]
        json: Option<String>,
    },
    /// Downloads a file QQ knows (a file id, or a name) with NapCat's stream download.
    Download {
        /// The file's id (from a message, a group file listing) or its name.
        file: String,
        /// Where to write it (default: NapCat's name for it, in the current directory).
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
        /// Bytes per chunk (NapCat's default: 65536).
        #[arg(long)]
        chunk_size: Option<u64>,
    },
    /// Uploads a local file to NapCat's machine in chunks; prints its path there.
    Upload {
        /// The local file.
        path: std::path::PathBuf,
        /// Its name on NapCat's machine (default: the local name).
        #[arg(long)]
        name: Option<String>,
        /// Bytes per chunk (default: 262144).
        #[arg(long)]
        chunk_size: Option<usize>,
    },
    /// Serves the simulator over HTTP until interrupted.
    Sim {
        /// HTTP port to bind on 127.0.0.1 (0 picks one).
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// WebSocket port to bind on 127.0.0.1 (0 picks one).
        #[arg(long, default_value_t = 3001)]
        ws_port: u16,
    },
}

async fn connect(cli: &Cli) -> Result<(Client, Option<Simulator>), String> {
    let (url, sim) = match &cli.url {
        Some(u) => (u.clone(), None),
        None => {
            let sim = Simulator::start(SimConfig {
                token: cli.token.clone(),
                ..SimConfig::default()
            })
            .await
            .map_err(|e| format!("cannot start the embedded simulator: {e}"))?;
            let url = match cli.transport {
                Transport::Http => sim.http_url(),
                Transport::Ws => sim.ws_url("/api"),
            };
            eprintln!("no --url given: using the embedded NapCat simulator at {url}");
            (url, Some(sim))
        }
    };
    let mut builder = Client::builder().timeout(Duration::from_secs(cli.timeout));
    builder = match cli.transport {
        Transport::Http => builder.base_url(url),
        Transport::Ws => builder.ws_url(url),
    };
    if let Some(t) = &cli.token {
        builder = builder.access_token(t);
    }
    let client = builder.connect().await.map_err(|e| e.to_string())?;
    Ok((client, sim))
}

async fn run(cli: Cli) -> Result<(), String> {
    match &cli.command {
        Command::Actions => {
            // Category, Rust name, wire name (and the other names NapCat answers), the English
            // summary and the Chinese doc line.
            for (c, a) in api_spec::builtin().actions() {
                let mut wire = a.wire_name.clone();
                for alias in &a.aliases {
                    wire.push_str(", ");
                    wire.push_str(alias);
                }
                println!(
                    "{:<14} {:<32} {:<34} {} {}",
                    c.name,
                    a.rust_name,
                    wire,
                    a.summary,
                    a.doc_line()
                );
            }
            Ok(())
        }
        Command::Describe { action } => {
            let spec = api_spec::builtin();
            let a = args::find_action(spec, action)?;
            println!("{} (wire: {}) — {}", a.rust_name, a.wire_name, a.summary);
            println!("{}", a.doc_line());
            if !a.aliases.is_empty() {
                println!("also answered as: {}", a.aliases.join(", "));
            }
            println!("returns: {}", a.returns);
            for p in &a.params {
                let how = match &p.presence {
                    Presence::Required => "required".to_owned(),
                    Presence::Default(d) => {
                        format!(
                            "optional, sent only when given (NapCat's default {})",
                            d.to_json(spec)
                        )
                    }
                    Presence::Optional => "optional, sent only when given".to_owned(),
                };
                let keys = spec.param_keys(p);
                let wire = if keys == [p.rust_name.clone()] {
                    String::new()
                } else {
                    format!(" (wire: {})", keys.join(" | "))
                };
                println!("  {}{wire}: {} — {how}", p.rust_name, p.ty);
            }
            Ok(())
        }
        Command::Call {
            action,
            params,
            json,
        } => {
            let spec = api_spec::builtin();
            let a = args::find_action(spec, action)?;
            let params = args::build_params(spec, a, params, json.as_deref())?;
            let (api, _sim) = connect(&cli).await?;
            let action = api_core::action_by_name(&a.rust_name).ok_or_else(|| {
                format!(
                    "`{}` is in the action table but has no generated call",
                    a.wire_name
                )
            })?;
            let data = action
                .call(&api, serde_json::Value::Object(params))
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::to_string_pretty(&data).unwrap_or_default()
            );
            Ok(())
        }
        Command::Download {
            file,
            output,
            chunk_size,
        } => {
            let (api, _sim) = connect(&cli).await?;
            transfer::download(&api, file, output.as_deref(), *chunk_size).await
        }
        Command::Upload {
            path,
            name,
            chunk_size,
        } => {
            let (api, _sim) = connect(&cli).await?;
            transfer::upload(&api, path, name.as_deref(), *chunk_size).await
        }
        Command::Tour => {
            if cli.url.is_some() {
                return Err("the tour changes the account (it deletes a friend); it runs only against the embedded simulator: drop --url".into());
            }
            let (api, sim) = connect(&cli).await?;
            let sim = sim.ok_or("the tour needs the embedded simulator")?;
            match tour::run(&api, &sim).await {
                0 => Ok(()),
                n => Err(format!("{n} actions failed")),
            }
        }
        Command::Sim { port, ws_port } => {
            let sim = Simulator::start(SimConfig {
                token: cli.token.clone(),
                http_addr: ([127, 0, 0, 1], *port).into(),
                ws_addr: ([127, 0, 0, 1], *ws_port).into(),
                ..SimConfig::default()
            })
            .await
            .map_err(|e| format!("cannot bind ports {port} and {ws_port} on 127.0.0.1: {e}"))?;
            println!(
                "NapCat simulator: HTTP {} and WebSocket {}",
                sim.http_url(),
                sim.ws_url("/")
            );
            tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
