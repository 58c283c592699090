//! Typed commands over the simulator: a handler taking the enum runs for its commands; QQ's
//! own arguments (`@`, a reply, an image) are read; wrong arguments are answered in the chat.

use api_bot::commands::{Commands, Quoted, Rest};
use api_bot::dispatcher::Bot;
use api_bot::testing::TestBot;
use api_core::types::{ImageSegment, MessageEvent};
use api_core::{Client, Error, Message, MessageId, UserId};
use serde_json::json;

/// The commands the tests use.
#[derive(Commands, Debug, Clone, PartialEq)]
#[commands(prefix = "/")]
enum Command {
    /// 回答 pong
    Ping,
    /// 掷骰子
    #[command(alias = "r", alias = "dice")]
    Roll { sides: Option<u32> },
    /// 禁言成员
    Ban { who: UserId, minutes: u32 },
    /// 复述
    Say(Rest),
    /// 撤回回复的消息
    Recall(Quoted),
    /// 存一张图
    Save(Box<ImageSegment>),
    /// 帮助
    Help,
}

async fn on_command(api: Client, m: MessageEvent, command: Command) -> Result<(), Error> {
    let answer = match command {
        Command::Help => Command::help(),
        other => format!("{other:?}"),
    };
    api.reply(&m, answer).await.map(drop)
}

async fn fallback(api: Client, m: MessageEvent) -> Result<(), Error> {
    api.reply(&m, "not a command").await.map(drop)
}

async fn bot() -> TestBot {
    TestBot::start(Bot::new().on(on_command).on(fallback)).await
}

/// Says `message` in the group and returns the bot's one answer.
async fn answer(bot: &TestBot, message: serde_json::Value) -> String {
    bot.group_message(100200, 234567, message).await;
    let sent = bot.take_sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    sent[0].text()
}

#[tokio::test]
async fn commands_are_parsed_with_their_arguments() {
    let bot = bot().await;
    assert_eq!(answer(&bot, json!("/ping")).await, "Ping");
    assert_eq!(answer(&bot, json!("/r 6")).await, "Roll { sides: Some(6) }");
    assert_eq!(answer(&bot, json!("/DICE")).await, "Roll { sides: None }");
    assert_eq!(
        answer(&bot, json!("/say hello   there")).await,
        "Say(Rest(\"hello there\"))"
    );
    assert_eq!(
        answer(&bot, json!("/ban [CQ:at,qq=345678] 10")).await,
        "Ban { who: UserId(345678), minutes: 10 }"
    );
    assert_eq!(
        answer(&bot, json!("/ban 345678 10")).await,
        "Ban { who: UserId(345678), minutes: 10 }"
    );
    assert_eq!(answer(&bot, json!("hello")).await, "not a command");
    assert_eq!(answer(&bot, json!("/unknown")).await, "not a command");
}

/// `@` the bot before the command, a reply and an image are QQ's own arguments.
#[tokio::test]
async fn qq_segments_are_arguments() {
    let bot = bot().await;
    let me = bot.client().get_login_info().await.unwrap().user_id;
    let text = format!("[CQ:at,qq={me}] /ping");
    assert_eq!(answer(&bot, json!(text)).await, "Ping");
    let quoted = Message::new().reply(MessageId(42)).text("/recall");
    assert_eq!(
        answer(&bot, serde_json::to_value(&quoted).unwrap()).await,
        "Recall(Quoted(MessageId(42)))"
    );
    let image = json!([
        {"type": "text", "data": {"text": "/save "}},
        {"type": "image", "data": {"file": "cat.png", "url": "https://example.invalid/cat.png"}}
    ]);
    assert!(
        answer(&bot, image)
            .await
            .starts_with("Save(ImageSegment { file:")
    );
}

/// Wrong arguments are answered in the chat with what is wrong and the usage, quoting the
/// message; no other handler runs.
#[tokio::test]
async fn wrong_arguments_are_answered() {
    let bot = bot().await;
    let id = bot.group_message(100200, 234567, json!("/roll six")).await;
    let sent = bot.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].text(),
        "参数 <sides> 应为非负整数，收到“six”\n用法：/roll [sides]"
    );
    assert_eq!(sent[0].quotes(), Some(MessageId::from(id)));
    assert_eq!(
        answer(&bot, json!("/ban")).await,
        "缺少参数 <who>\n用法：/ban <who> <minutes>"
    );
    assert_eq!(
        answer(&bot, json!("/ping now")).await,
        "多余的参数“now”\n用法：/ping"
    );
    assert_eq!(
        answer(&bot, json!("/recall")).await,
        "缺少第 1 个参数（回复一条消息）\n用法：/recall <回复一条消息>"
    );
}

/// The help text lists every command with its usage, what it does and its aliases.
#[test]
fn help_lists_the_commands() {
    assert_eq!(
        Command::help(),
        "命令：\n/ping — 回答 pong\n/roll [sides] — 掷骰子（又作 /r、/dice）\n/ban <who> <minutes> — 禁言成员\n/say <文本> — 复述\n/recall <回复一条消息> — 撤回回复的消息\n/save <图片> — 存一张图\n/help — 帮助"
    );
}

/// The README shows the command bot as the example file has it.
#[test]
fn the_readme_shows_the_command_bot() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let example = std::fs::read_to_string(root.join("examples/command_bot/main.rs")).unwrap();
    assert!(
        readme.contains(&format!("```rust,ignore\n{example}```")),
        "README.md's \"Writing a bot\" shows examples/command_bot/main.rs as it is"
    );
    assert!(
        example.lines().count() <= 25,
        "the command bot fits in 25 lines"
    );
}
