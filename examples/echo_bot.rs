//! An echo bot: it answers every message where it was said, quoting it.
//!
//! - any text: sends the same segments back (a received image goes back as it came);
//! - `image`: answers with text and an image;
//! - `recall`: answers, then recalls its own answer.
//!
//! ```sh
//! cargo run -p bot-examples --bin echo_bot                                   # embedded simulator
//! cargo run -p bot-examples --bin echo_bot -- ws://127.0.0.1:3001/ "$TOKEN"  # a real NapCat
//! ```
//!
//! Without a URL it starts the NapCat simulator, lets a friend say three things, prints the
//! conversation and exits; with one it serves until stopped.

mod server_arg;

use api_core::UserId;
use api_core::types::{Event, MessageEvent};
use api_core::{Client, Error, Message, Uploadable};
use api_sim::{SimConfig, Simulator};

/// A 1×1 PNG, so the example needs no file on disk.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What the bot does with one message.
async fn answer(api: &Client, m: &MessageEvent) -> Result<(), Error> {
    match m.message.plain_text().trim() {
        "image" => {
            let picture = Message::new()
                .text("here is a picture: ")
                .image(Uploadable::bytes(PNG));
            api.reply(m, picture).await?;
        }
        "recall" => {
            let sent = api.reply(m, "this message will be recalled").await?;
            api.delete_msg(sent.message_id).await?;
            println!("bot: recalled its message {}", sent.message_id);
        }
        _ => {
            api.reply(m, m.message.clone()).await?;
        }
    }
    Ok(())
}

/// Receives events and answers messages; stops after `limit` messages, if given.
async fn serve(api: Client, limit: Option<usize>) -> Result<(), Error> {
    let mut events = api.events();
    let mut handled = 0;
    while limit.is_none_or(|n| handled < n) {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(api_core::EventsError::Lagged(n)) => {
                eprintln!("missed {n} events");
                continue;
            }
            Err(api_core::EventsError::Closed) => break,
            // This client can receive no events: the error says why and what to change.
            Err(e) => {
                eprintln!("{e}");
                break;
            }
        };
        if let Event::Message(m) = event {
            println!(
                "{} ({}): {}",
                m.sender.nickname,
                m.user_id.unwrap_or_default(),
                m.message
            );
            if let Err(e) = answer(&api, &m).await {
                eprintln!("could not answer: {e}");
            }
            handled += 1;
        }
    }
    Ok(())
}

/// The embedded run: a friend says three things, the bot answers, the conversation is printed.
async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    // The bot's own messages come back as `message_sent` events, so the friend below waits
    // for each answer before saying the next thing.
    let sim = Simulator::start(SimConfig {
        report_self_message: true,
        ..SimConfig::default()
    })
    .await?;
    println!(
        "no URL given: using the embedded NapCat simulator at {}",
        sim.ws_url("/")
    );
    let api = Client::builder().ws_url(sim.ws_url("/")).connect().await?;
    sim.wait_for_event_clients(1).await;
    let mut answers = api.events();
    let bot = tokio::spawn(serve(api.clone(), Some(3)));
    for text in ["hello [CQ:face,id=14]", "image", "recall"] {
        sim.inject_private_message(123456, serde_json::json!(text));
        while !matches!(answers.recv().await?, Event::MessageSent(_)) {}
    }
    bot.await??;
    println!("\nthe conversation as the server keeps it:");
    for m in api.get_friend_msg_history(UserId(123456)).await?.messages {
        println!("  [{}] {}: {}", m.message_id, m.sender.nickname, m.message);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match server_arg::connect_from_args().await {
        None => demo().await,
        Some(api) => {
            println!("connected; answering messages until stopped");
            Ok(serve(api?, None).await?)
        }
    }
}
