//! Conversations: a handler waits for the same user's next message in the same chat, with a
//! timeout, and the dialogue reads as straight-line code.

use std::time::Duration;

use api_bot::conversation::Conversation;
use api_bot::dispatcher::Bot;
use api_bot::error::BoxError;
use api_bot::filter::text_eq;
use api_bot::testing::TestBot;
use api_core::types::MessageEvent;
use api_sim::SimConfig;
use api_sim::inject::{Injected, Injection};
use serde_json::json;

async fn register(_: MessageEvent, talk: Conversation) -> Result<(), BoxError> {
    let name = talk.ask("你叫什么名字？", Duration::from_secs(60)).await?;
    let age = talk.ask("几岁？", Duration::from_secs(60)).await?;
    let (name, age) = (name.message.plain_text(), age.message.plain_text());
    talk.say(format!("{name}，{age} 岁")).await?;
    Ok(())
}

async fn impatient(_: MessageEvent, talk: Conversation) -> Result<(), BoxError> {
    if talk.ask("快说！", Duration::from_millis(50)).await.is_err() {
        talk.say("太慢了").await?;
    }
    Ok(())
}

async fn start(bot: Bot) -> TestBot {
    let config = SimConfig {
        report_self_message: true,
        ..SimConfig::default()
    };
    TestBot::start_with(bot, config).await
}

fn begin(bot: &TestBot, user_id: i64, text: &str) -> i64 {
    let Injected::Message(id) = bot.inject_only(Injection::GroupMessage {
        group_id: 100200,
        user_id,
        message: json!(text),
    }) else {
        unreachable!()
    };
    id
}

/// The answers go to the conversation, in order; another member's message in the same chat
/// is not taken as an answer and reaches the handlers as usual.
#[tokio::test]
async fn a_dialogue_takes_the_users_next_messages() {
    let bot = start(Bot::new().on_if(text_eq("/register"), register)).await;
    let started = begin(&bot, 234567, "/register");
    assert_eq!(bot.bot_said().await.message.plain_text(), "你叫什么名字？");
    bot.group_message(100200, 345678, json!("王五")).await;
    bot.group_message(100200, 234567, json!("小明")).await;
    assert_eq!(bot.bot_said().await.message.plain_text(), "几岁？");
    bot.group_message(100200, 234567, json!("12")).await;
    bot.message_handled(started).await;
    assert_eq!(bot.bot_said().await.message.plain_text(), "小明，12 岁");
}

/// A wait that times out ends with an error the handler can answer.
#[tokio::test]
async fn a_wait_times_out() {
    let bot = start(Bot::new().on(impatient)).await;
    let started = begin(&bot, 234567, "hello");
    bot.message_handled(started).await;
    let said: Vec<String> = bot.take_sent().iter().map(|s| s.text()).collect();
    assert_eq!(said, ["快说！", "太慢了"]);
}

/// When the bot stops, a conversation waiting for an answer is told so at once (rather than
/// holding shutdown for the whole grace and being stopped unfinished).
#[tokio::test]
async fn stopping_the_bot_ends_a_waiting_conversation() {
    use api_bot::conversation::WaitError;
    use api_bot::extract::State;
    use std::sync::{Arc, Mutex};
    type Outcome = Arc<Mutex<Option<bool>>>;
    async fn waits(_: MessageEvent, talk: Conversation, State(out): State<Outcome>) {
        let answer = talk.ask("还在吗？", Duration::from_secs(3600)).await;
        let stopped = answer
            .err()
            .and_then(|e| e.downcast::<WaitError>().ok())
            .is_some_and(|e| matches!(*e, WaitError::Stopped));
        *out.lock().unwrap() = Some(stopped);
    }
    let out: Outcome = Arc::default();
    let bot = start(Bot::new().state(out.clone()).on(waits)).await;
    begin(&bot, 234567, "hi");
    // The question is sent after the wait began: the conversation is waiting now.
    assert_eq!(bot.bot_said().await.message.plain_text(), "还在吗？");
    let summary = bot.stop().await;
    assert_eq!(
        summary.abandoned, 0,
        "the conversation ended before the grace ran out"
    );
    assert_eq!(
        *out.lock().unwrap(),
        Some(true),
        "it was told the bot stopped"
    );
}
