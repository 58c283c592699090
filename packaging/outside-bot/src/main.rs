//! A bot built from the packaged crates alone: a typed command answered through the
//! dispatcher, run against the simulator those crates ship (the bot crate's test harness).

use api_bot::commands::Commands;
use api_bot::dispatcher::Bot;
use api_bot::reply::Reply;
use api_bot::testing::TestBot;
use api_core::{GroupId, UserId};

/// What the bot answers.
#[derive(Commands)]
enum Command {
    /// 回答 pong
    Ping,
}

async fn command(command: Command) -> Reply {
    match command {
        Command::Ping => Reply::from("pong"),
    }
}

#[tokio::main]
async fn main() {
    let bot = TestBot::start(Bot::new().on(command)).await;
    // The client works on its own too.
    let me = bot.client().get_login_info().await.expect("login info");
    assert_eq!(me.user_id, UserId(10001));
    bot.group_message(100200, 234567, "/ping").await;
    let sent = bot.take_sent();
    assert_eq!(sent.len(), 1, "one answer");
    assert_eq!(sent[0].text(), "pong");
    assert_eq!(
        sent[0].chat,
        Some(api_core::types::MessageTarget::Group(GroupId(100200)))
    );
    println!("outside-bot: answered /ping with pong, built from the packaged crates");
}
