//! A command bot: `/ping` answered quoting it, `/roll [sides]`, images echoed, newcomers greeted.
mod scene;
use api_bot::{commands::Commands, dispatcher::Bot, extract::Images, reply::Reply};
use api_core::{Message, types::GroupIncreaseNotice};
#[derive(Commands)]
enum Command {
    Ping,
    Roll(Option<u32>),
}
async fn command(command: Command) -> Reply {
    Reply::from(match command {
        Command::Ping => "pong".to_owned(),
        Command::Roll(sides) => fastrand::u32(1..=sides.unwrap_or(6).max(1)).to_string(),
    })
}
async fn echo(Images(images): Images) -> Reply {
    Reply(images)
}
async fn greet(joined: GroupIncreaseNotice) -> Reply {
    Reply(Message::new().at(joined.user_id).text(" 欢迎！"))
}
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    scene::run(Bot::new().on(command).on(echo).on(greet)).await
}
