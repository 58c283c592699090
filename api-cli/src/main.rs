//! `napcat`: call NapCat from the command line, driven by the spec.
//!
//! What actions there are and what they take comes from one place, the spec model
//! (`api_spec::builtin()`): `actions` lists it, `describe` shows one action, and `call` reads
//! each `key=value` by the parameter's type in it. The generated table (`api_core`'s
//! `action_by_name`) is used only to run an action through its generated call.

mod args;
mod bridge;
mod client;
mod sim;
mod sim_control;
mod tour;
mod transfer;

use std::process::ExitCode;

use api_spec::Presence;
use clap::{Parser, Subcommand};

use crate::client::{ClientArgs, Transport};

#[derive(Parser)]
#[command(
    name = "napcat",
    version,
    about = "Call NapCat actions from the command line, or serve a NapCat simulator for testing a bot"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs every action's spec example against the embedded simulator and prints a table.
    Tour {
        /// Transport to use.
        #[arg(long, value_enum, default_value = "http")]
        transport: Transport,
    },
    /// Lists every action: Rust name, wire name, one-line doc.
    Actions,
    /// Shows an action's parameters and return type.
    Describe {
        /// Rust or wire name.
        action: String,
    },
    /// Calls an action: `napcat call send_like user_id=123456 times=5`.
    Call {
        #[command(flatten)]
        client: ClientArgs,
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
        #[command(flatten)]
        client: ClientArgs,
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
        #[command(flatten)]
        client: ClientArgs,
        /// The local file.
        path: std::path::PathBuf,
        /// Its name on NapCat's machine (default: the local name).
        #[arg(long)]
        name: Option<String>,
        /// Bytes per chunk (default: 262144).
        #[arg(long)]
        chunk_size: Option<usize>,
    },
    /// Serves the simulator as a test server for a bot in any language.
    ///
    /// NapCat's HTTP and forward WebSocket, the bot's reverse WebSocket dialed, events posted
    /// to it, and a control API; `napcat sim inject …` and the other commands talk to a
    /// running one.
    Sim(sim::SimArgs),
    /// Joins NapCat accounts and bot workers through NATS JetStream (README, "Scaling out").
    ///
    /// Listens for NapCat's reverse WebSocket, publishes every account's events to the
    /// stream, and answers the workers' action requests for the accounts whose lease it holds.
    /// Run two for the same accounts: the second takes over when the first dies.
    Bridge(bridge::BridgeArgs),
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
            client,
            action,
            params,
            json,
        } => {
            let spec = api_spec::builtin();
            let a = args::find_action(spec, action)?;
            let params = args::build_params(spec, a, params, json.as_deref())?;
            let (api, _sim) = client.connect().await?;
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
            client,
            file,
            output,
            chunk_size,
        } => {
            let (api, _sim) = client.connect().await?;
            transfer::download(&api, file, output.as_deref(), *chunk_size).await
        }
        Command::Upload {
            client,
            path,
            name,
            chunk_size,
        } => {
            let (api, _sim) = client.connect().await?;
            transfer::upload(&api, path, name.as_deref(), *chunk_size).await
        }
        Command::Tour { transport } => {
            let (api, sim) = ClientArgs::embedded(*transport).connect().await?;
            let sim = sim.ok_or("the tour needs the embedded simulator")?;
            match tour::run(&api, &sim).await {
                0 => Ok(()),
                n => Err(format!("{n} actions failed")),
            }
        }
        Command::Sim(args) => match &args.command {
            None => sim::serve(&args.serve).await,
            Some(command) => sim_control::run(command).await,
        },
        Command::Bridge(args) => bridge::run(args).await,
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
