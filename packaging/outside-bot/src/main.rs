//! A bot built from the packaged crates alone: it answers `ping` with `pong` in a group, run
//! against the simulator those crates ship.

use api_core::types::Event;
use api_core::{Client, GroupId};
use api_sim::{SimConfig, Simulator};

#[tokio::main]
async fn main() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("bind a loopback port");
    let api = Client::builder()
        .ws_url(sim.ws_url("/"))
        .connect()
        .await
        .expect("connect to the simulator");
    let mut events = api.events();
    sim.wait_for_event_clients(1).await;
    sim.inject_group_message(100200, 234567, "李四", serde_json::json!("ping"));
    loop {
        match events.recv().await.expect("the simulator's events") {
            Event::Message(m) if m.message.plain_text() == "ping" => {
                api.reply(&m, "pong").await.expect("reply");
                break;
            }
            _ => {}
        }
    }
    let sent = sim
        .take_calls()
        .into_iter()
        .find(|c| c.action == "send_msg")
        .expect("the bot answered");
    assert_eq!(sent.params["group_id"], GroupId(100200).0);
    assert_eq!(sent.params["message"][1]["data"]["text"], "pong");
    println!("outside-bot: answered ping with pong, built from the packaged crates");
}
