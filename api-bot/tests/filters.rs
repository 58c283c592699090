//! Filters guard handlers: chat kind, group, user, role, the bot's own admins, text, `@` the
//! bot, a predicate of one's own; they compose with `&`, `|` and `!`.

use api_bot::dispatcher::Bot;
use api_bot::filter::{
    Filter, admin, bot_admin, from_user, group, in_group, private, text_contains, text_eq,
    text_starts_with, to_me,
};
use api_bot::handler::Handler;
use api_bot::testing::TestBot;
use api_core::types::MessageEvent;
use api_core::{Client, GroupId, UserId};
use serde_json::json;

/// A handler that answers `label`.
fn say(label: &'static str) -> impl Handler<(Client, MessageEvent)> {
    move |api: Client, m: MessageEvent| async move { api.reply(&m, label).await.map(drop) }
}

async fn bot() -> TestBot {
    let long = Filter::new(|ctx| {
        ctx.message()
            .is_some_and(|m| m.message.plain_text().chars().count() > 20)
    });
    let bot = Bot::new()
        .admins([UserId(345678)])
        .on_if(bot_admin() & text_eq("stop"), say("stopping"))
        .on_if(
            group() & admin() & text_starts_with("!"),
            say("admin command"),
        )
        .on_if(private() & text_contains("hi"), say("private hi"))
        .on_if(long, say("long"))
        .on_if(to_me(), say("to me"))
        .on_if(
            in_group(GroupId(300400)) & from_user(UserId(123456)),
            say("张三 in 300400"),
        )
        .on_if(!private(), say("group other"));
    TestBot::start(bot).await
}

async fn group_says(bot: &TestBot, group: i64, user: i64, text: &str) -> String {
    bot.group_message(group, user, json!(text)).await;
    answer(bot)
}

fn answer(bot: &TestBot) -> String {
    let sent = bot.take_sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    sent[0].text()
}

#[tokio::test]
async fn filters_pick_the_handler() {
    let bot = bot().await;
    assert_eq!(group_says(&bot, 100200, 345678, "stop").await, "stopping");
    assert_eq!(
        group_says(&bot, 100200, 234567, "stop").await,
        "group other"
    );
    assert_eq!(
        group_says(&bot, 100200, 123456, "!kick").await,
        "admin command"
    );
    assert_eq!(
        group_says(&bot, 100200, 234567, "!kick").await,
        "group other"
    );
    assert_eq!(
        group_says(&bot, 100200, 234567, "[CQ:at,qq=10001] hello").await,
        "to me"
    );
    assert_eq!(
        group_says(&bot, 100200, 234567, "[CQ:at,qq=123456] hello").await,
        "group other"
    );
    assert_eq!(
        group_says(&bot, 300400, 123456, "hello").await,
        "张三 in 300400"
    );
    assert_eq!(
        group_says(&bot, 300400, 888888, "hello").await,
        "group other"
    );
    bot.private_message(123456, json!("hi there")).await;
    assert_eq!(answer(&bot), "private hi");
    bot.private_message(123456, json!("a".repeat(25))).await;
    assert_eq!(answer(&bot), "long");
    bot.private_message(123456, json!("hello")).await;
    assert_eq!(answer(&bot), "to me");
}

/// `role`, `owner` and `|`: the sender's role as the message says, and either of two filters.
#[tokio::test]
async fn roles_and_either_of_two_filters() {
    use api_bot::filter::{owner, role};
    use api_core::types::GroupRole;
    let bot = Bot::new()
        .on_if(owner(), say("owner"))
        .on_if(
            role(GroupRole::Admin) | text_eq("either"),
            say("admin or either"),
        )
        .on_if(role(GroupRole::Member), say("member"));
    let bot = TestBot::start(bot).await;
    // 888888 owns 300400; 123456 is an admin of 100200 and a member of 300400.
    assert_eq!(group_says(&bot, 300400, 888888, "hello").await, "owner");
    assert_eq!(
        group_says(&bot, 100200, 123456, "hello").await,
        "admin or either"
    );
    assert_eq!(group_says(&bot, 300400, 123456, "hello").await, "member");
    assert_eq!(
        group_says(&bot, 300400, 123456, "either").await,
        "admin or either"
    );
    // A private message has no role: only the text side of `|` can let it through.
    bot.private_message(123456, json!("hello")).await;
    assert!(bot.take_sent().is_empty());
    bot.private_message(123456, json!("either")).await;
    assert_eq!(answer(&bot), "admin or either");
}
