//! Recorded exchanges with NapCat, replayed against the simulator over HTTP and forward
//! WebSocket: each is a request and the reply NapCat v4.18.19 gives (from its source, as each
//! entry's note says; `tests/exchanges/napcat.json`). Then a sweep over every action the
//! simulator serves and every parameter NapCat's schema declares: a missing required key, a
//! `null`, a value of the wrong type and an extra key, each with TypeBox's reply.

use std::time::Duration;

use api_sim::{SimConfig, Simulator};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, Debug)]
enum Over {
    Http,
    Ws,
}

struct Conn {
    sim: Simulator,
    ws: Option<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    >,
    http: reqwest::Client,
}

impl Conn {
    async fn open(over: Over) -> Conn {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let ws = match over {
            Over::Http => None,
            Over::Ws => Some(
                tokio_tungstenite::connect_async(sim.ws_url("/api"))
                    .await
                    .unwrap()
                    .0,
            ),
        };
        Conn {
            sim,
            ws,
            http: reqwest::Client::new(),
        }
    }

    /// Sends one request; returns the envelope (a stream action's last one: its result or
    /// failure, after any packets).
    async fn call(&mut self, action: &str, params: &Value) -> Value {
        match &mut self.ws {
            None => {
                let body = self
                    .http
                    .post(format!("{}/{action}", self.sim.http_url()))
                    .body(params.to_string())
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                // A stream action's envelopes each end with CRLF CRLF.
                let last = body
                    .split("\r\n\r\n")
                    .filter(|e| !e.trim().is_empty())
                    .last()
                    .unwrap_or_default();
                serde_json::from_str(last).unwrap_or_else(|_| panic!("{action}: {body}"))
            }
            Some(ws) => {
                let frame = json!({"action": action, "params": params, "echo": "x"});
                ws.send(Message::Text(frame.to_string().into()))
                    .await
                    .unwrap();
                loop {
                    let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
                        .await
                        .expect("a reply")
                        .expect("open")
                        .unwrap();
                    if let Message::Text(t) = msg {
                        let envelope: Value = serde_json::from_str(t.as_str()).unwrap();
                        if envelope["data"]["type"] != "stream" {
                            return envelope;
                        }
                    }
                }
            }
        }
    }
}

/// The retcode NapCat uses for a kind of reply on a transport.
fn retcode(kind: &str, over: Over) -> i64 {
    match (kind, over) {
        ("ok", _) => 0,
        ("schema", Over::Http) => 400,
        ("schema", Over::Ws) => 1400,
        ("handler" | "unknown", Over::Http) => 200,
        ("handler", Over::Ws) => 1200,
        ("unknown", Over::Ws) => 1404,
        (other, _) => panic!("unknown kind {other}"),
    }
}

async fn replay(over: Over) {
    let exchanges: Vec<Value> =
        serde_json::from_str(include_str!("../exchanges/napcat.json")).unwrap();
    for ex in exchanges {
        // A fresh simulator per exchange: each starts from the default seed.
        let mut conn = Conn::open(over).await;
        let action = ex["action"].as_str().unwrap();
        let got = conn.call(action, &ex["params"]).await;
        let want = &ex["reply"];
        let kind = want["kind"].as_str().unwrap();
        let note = ex["note"].as_str().unwrap_or_default();
        assert_eq!(got["retcode"], retcode(kind, over), "{note}: {got}");
        assert_eq!(
            got["status"],
            if kind == "ok" { "ok" } else { "failed" },
            "{note}"
        );
        if let Some(message) = want.get("message") {
            assert_eq!(&got["message"], message, "{note}");
        }
        if let Some(data) = want.get("data") {
            assert_eq!(&got["data"], data, "{note}");
        }
    }
}

#[tokio::test]
async fn recorded_exchanges_over_http() {
    replay(Over::Http).await;
}

#[tokio::test]
async fn recorded_exchanges_over_ws() {
    replay(Over::Ws).await;
}

/// TypeBox's message for a value of the wrong kind (the sweep sends `null` and `{}`, which no
/// conversion turns into a string, number or boolean) given for a parameter NapCat declares
/// as `ty`. Arrays wrap a single value first (TypeBox's Convert), so the item's message counts.
fn typebox_word(ty: &str) -> &'static str {
    if let Some(item) = ty.strip_suffix("[]") {
        return typebox_word(item);
    }
    match ty {
        "string" => "Expected string",
        "number" => "Expected number",
        "boolean" => "Expected boolean",
        t if t.contains('|') => "Expected union value",
        _ => "",
    }
}

fn placeholder(ty: &str) -> Value {
    match ty {
        "number" => json!(1),
        "boolean" => json!(true),
        t if t.ends_with("[]") => json!(["1"]),
        // An object type (`{time: number, sub_type?: string, …}`): its required keys.
        t if t.starts_with('{') => object_placeholder(t),
        // A union of text literals (`"disabled"|"require_approval"|…`): its first one.
        t if t.starts_with('"') => json!(t.split('"').nth(1).unwrap_or_default()),
        _ => json!("1"),
    }
}

/// An object of `{key: type, key?: type, …}` with a placeholder for each required key.
fn object_placeholder(ty: &str) -> Value {
    let inner = &ty[1..ty.len() - 1];
    let (mut fields, mut depth, mut start) = (Map::new(), 0, 0);
    let mut field = |part: &str| {
        if let Some((key, ty)) = part.split_once(':')
            && !key.trim().ends_with('?')
        {
            fields.insert(key.trim().into(), placeholder(ty.trim()));
        }
    };
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                field(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    field(&inner[start..]);
    Value::Object(fields)
}

async fn sweep(over: Over) {
    let napcat: Vec<Value> = serde_json::from_str(api_spec::napcat::ACTIONS_JSON).unwrap();
    let spec = api_spec::builtin();
    let mut conn = Conn::open(over).await;
    let mut checked = 0;
    for (_, a) in spec.actions() {
        let theirs = napcat
            .iter()
            .find(|x| x["action"] == a.wire_name.as_str())
            .unwrap();
        let Some(params) = theirs["params"].as_array() else {
            continue;
        };
        if theirs["schema_validated"] == false
            || theirs["payload_schema"]
                .as_str()
                .is_some_and(|s| s.starts_with("none"))
        {
            continue;
        }
        let mut base = Map::new();
        for p in params {
            let ty = p["type"].as_str().unwrap();
            if p["required"] == true {
                base.insert(p["name"].as_str().unwrap().into(), placeholder(ty));
            }
        }
        for p in params {
            let (key, ty) = (p["name"].as_str().unwrap(), p["type"].as_str().unwrap());
            let schema_error = |reply: &Value, expected: &str, what: &str| {
                assert_eq!(
                    reply["retcode"],
                    retcode("schema", over),
                    "{} {key} {what}: {reply}",
                    a.wire_name
                );
                assert_eq!(
                    reply["message"],
                    format!("Schema compilation error: {expected}"),
                    "{} {key} {what}",
                    a.wire_name
                );
            };
            if p["required"] == true {
                let mut without = base.clone();
                without.remove(key);
                let reply = conn.call(&a.wire_name, &Value::Object(without)).await;
                schema_error(&reply, "Expected required property", "missing");
            }
            for (value, what) in [(Value::Null, "null"), (json!({}), "an object")] {
                let word = typebox_word(ty);
                // A union with `null` (`string|null`) takes null.
                let takes_null = value.is_null() && ty.split('|').any(|t| t == "null");
                if word.is_empty() || takes_null {
                    continue;
                }
                let mut with = base.clone();
                with.insert(key.into(), value.clone());
                let reply = conn.call(&a.wire_name, &Value::Object(with)).await;
                schema_error(&reply, word, what);
            }
            checked += 1;
        }
        let mut extra = base.clone();
        extra.insert("zz_not_napcats".into(), json!([1]));
        let reply = conn.call(&a.wire_name, &Value::Object(extra)).await;
        assert_ne!(
            reply["retcode"],
            retcode("schema", over),
            "{}: an extra key is not an error: {reply}",
            a.wire_name
        );
    }
    assert!(checked > 0);
}

#[tokio::test]
async fn every_parameter_of_every_served_action_over_http() {
    sweep(Over::Http).await;
}

#[tokio::test]
async fn every_parameter_of_every_served_action_over_ws() {
    sweep(Over::Ws).await;
}
