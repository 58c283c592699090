//! `napcat sim inject`, `kinds`, `calls`, `push` and `wait`: talking to a running simulator
//! through its control API (see api-sim's `control` module for the requests).

use api_sim::inject::{KINDS, KindDoc};
use clap::{Args, Subcommand};
use serde_json::{Map, Value};

use crate::args::{closest, json_object};

/// A command for a running simulator.
#[derive(Subcommand)]
pub enum SimCommand {
    /// Makes something happen to the account, as QQ would bring it.
    ///
    /// The account changes and the event NapCat would push goes to the bot.
    /// `napcat sim inject group-message group_id=100200 user_id=234567 message=hi` prints what
    /// it made (`{"message_id": …}`, `{"flag": …}`, `{"file_id": …}` or `{}`).
    #[command(after_help = kinds_help())]
    Inject {
        #[command(flatten)]
        control: ControlArgs,
        /// What happens (`napcat sim kinds` lists each with its fields).
        kind: String,
        /// Its fields as key=value: numbers as numbers, a message as text with CQ codes or
        /// segments as JSON.
        fields: Vec<String>,
        /// Its fields as a JSON object (key=value pairs override it).
        #[arg(long)]
        json: Option<String>,
    },
    /// Lists what can be injected, with each kind's fields.
    Kinds,
    /// Prints the calls the simulator received (the bot's), as a JSON list.
    Calls {
        #[command(flatten)]
        control: ControlArgs,
        /// Only the calls of this action.
        #[arg(long)]
        action: Option<String>,
        /// Clear the record after reading it.
        #[arg(long)]
        take: bool,
    },
    /// Pushes an event, given as JSON, to every event client as it is.
    Push {
        #[command(flatten)]
        control: ControlArgs,
        /// The event.
        event: String,
    },
    /// Waits until a bot is connected (the simulator has this many event clients).
    ///
    /// Prints how many it has.
    Wait {
        #[command(flatten)]
        control: ControlArgs,
        /// How many.
        #[arg(long, default_value_t = 1)]
        event_clients: usize,
    },
}

/// Where the running simulator's control API is.
#[derive(Args)]
pub struct ControlArgs {
    /// The control API's URL, as `napcat sim` printed it on start.
    #[arg(
        long,
        env = "NAPCAT_SIM_CONTROL",
        default_value = "http://127.0.0.1:3002"
    )]
    control: String,
}

/// The kinds and their required fields, for `inject --help`.
fn kinds_help() -> String {
    let mut text = String::from("Kinds (`napcat sim kinds` describes each field):\n");
    for k in KINDS {
        let required: Vec<&str> = k
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name)
            .collect();
        text.push_str(&format!("  {:<20} {}\n", k.name, required.join(" ")));
    }
    text
}

/// Runs a command against the running simulator.
pub async fn run(command: &SimCommand) -> Result<(), String> {
    let http = reqwest::Client::new();
    let answer = match command {
        SimCommand::Kinds => {
            print_kinds();
            return Ok(());
        }
        SimCommand::Inject {
            control,
            kind,
            fields,
            json,
        } => {
            let doc = find_kind(kind)?;
            let body = Value::Object(read_fields(doc, fields, json.as_deref())?);
            let url = format!("{}/inject/{kind}", base(control));
            send(http.post(url).body(body.to_string())).await?
        }
        SimCommand::Calls {
            control,
            action,
            take,
        } => {
            let mut url = format!("{}/calls", base(control));
            if let Some(a) = action {
                url.push_str("?action=");
                url.extend(form_urlencoded::byte_serialize(a.as_bytes()));
            }
            send(if *take {
                http.delete(url)
            } else {
                http.get(url)
            })
            .await?
        }
        SimCommand::Push { control, event } => {
            let url = format!("{}/events", base(control));
            send(http.post(url).body(event.clone())).await?
        }
        SimCommand::Wait {
            control,
            event_clients,
        } => {
            let url = format!("{}/event-clients?at_least={event_clients}", base(control));
            send(http.get(url)).await?
        }
    };
    println!("{answer}");
    Ok(())
}

fn base(control: &ControlArgs) -> &str {
    control.control.trim_end_matches('/')
}

/// Sends a control request; a refusal is an error with the simulator's reason.
async fn send(request: reqwest::RequestBuilder) -> Result<Value, String> {
    let response = request
        .header("content-type", "application/json")
        .send()
        .await
        .map_err(|e| format!("cannot reach the simulator's control API: {e}"))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_slice(&body).map_err(|_| {
        format!(
            "the control API answered {status} with something that is not JSON: {}",
            String::from_utf8_lossy(&body)
        )
    })?;
    if status.is_success() {
        Ok(value)
    } else {
        Err(value["error"].as_str().map_or_else(
            || format!("the control API answered {status}: {value}"),
            str::to_owned,
        ))
    }
}

fn find_kind(kind: &str) -> Result<&'static KindDoc, String> {
    KINDS.iter().find(|k| k.name == kind).ok_or_else(|| {
        let near = closest(kind, KINDS.iter().map(|k| k.name));
        format!(
            "no kind `{kind}`; did you mean {}? (`napcat sim kinds` lists all)",
            near.join(", ")
        )
    })
}

/// The fields as the control API takes them: each `key=value` read by the field's type.
fn read_fields(
    kind: &KindDoc,
    pairs: &[String],
    json: Option<&str>,
) -> Result<Map<String, Value>, String> {
    let mut fields = json_object(json)?;
    for pair in pairs {
        let (key, text) = pair
            .split_once('=')
            .ok_or_else(|| format!("argument `{pair}` is not key=value"))?;
        let Some(field) = kind.fields.iter().find(|f| f.name == key) else {
            let near = closest(key, kind.fields.iter().map(|f| f.name));
            return Err(format!(
                "{}: no field `{key}`; did you mean {}?",
                kind.name,
                near.join(", ")
            ));
        };
        let ty = field.value_type();
        let value =
            match ty.as_str() {
                "number" => text.trim().parse::<i64>().map(Value::from).map_err(|_| {
                    format!("{}: `{key}` is a whole number, got `{text}`", kind.name)
                })?,
                "boolean" => match text.trim() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => {
                        return Err(format!(
                            "{}: `{key}` is true or false, got `{text}`",
                            kind.name
                        ));
                    }
                },
                "json" => match serde_json::from_str::<Value>(text) {
                    Ok(v @ (Value::Array(_) | Value::Object(_))) => v,
                    _ => Value::String(text.to_owned()),
                },
                _ => Value::String(text.to_owned()),
            };
        fields.insert(key.to_owned(), value);
    }
    Ok(fields)
}

fn print_kinds() {
    for k in KINDS {
        println!("{}", k.name);
        for line in k.doc.lines() {
            println!("    {}", line.trim());
        }
        for f in k.fields {
            let need = if f.required { "" } else { ", optional" };
            println!(
                "  {} ({}{need}): {}",
                f.name,
                f.value_type(),
                f.doc.lines().map(str::trim).collect::<Vec<_>>().join(" ")
            );
        }
    }
}
