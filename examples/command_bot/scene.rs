//! The command bot's scene on the embedded simulator: a member pings, rolls, sends an image
//! and a command with a wrong argument; someone joins. Each exchange is printed.

#[path = "../bot_main.rs"]
mod bot_main;

use std::error::Error;

use api_bot::dispatcher::Bot;
use api_bot::testing::{Sent, TestBot};
use api_sim::inject::Injection;

/// The group the scene plays in (the bot owns it in the simulator's default seed).
pub const GROUP: i64 = 100200;

/// Serves `bot` over the NapCat on the command line, or plays the scene and prints it.
pub async fn run(bot: Bot) -> Result<(), Box<dyn Error>> {
    bot_main::serve_or_play(bot, |bot| async {
        for (said, answers) in play(bot).await {
            println!("{said}");
            for answer in answers {
                println!("  bot: {}", answer.message);
            }
        }
        Ok(())
    })
    .await
}

/// Plays the scene; returns what happened (who said what) and the bot's answers to it.
pub async fn play(bot: Bot) -> Vec<(String, Vec<Sent>)> {
    let bot = TestBot::start(bot).await;
    let image = "看这个 [CQ:image,file=cat.png,url=https://multimedia.nt.qq.com.cn/cat.png]";
    let mut exchanges = Vec::new();
    for said in ["/ping", "/roll 20", "/roll six", image, "hello"] {
        bot.group_message(GROUP, 234567, said).await;
        exchanges.push((format!("李四: {said}"), bot.take_sent()));
    }
    bot.inject(Injection::GroupIncrease {
        group_id: GROUP,
        user_id: 567891,
        nickname: "吴九".into(),
        operator_id: 0,
        sub_type: Default::default(),
    })
    .await;
    exchanges.push(("(吴九 joins)".to_owned(), bot.take_sent()));
    exchanges
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_core::types::MessageTarget;
    use api_core::{GroupId, UserId};

    /// The bot as `main` builds it.
    fn bot() -> Bot {
        Bot::new()
            .on(super::super::command)
            .on(super::super::echo)
            .on(super::super::greet)
    }

    #[tokio::test]
    async fn answers_commands_echoes_images_and_greets() {
        let exchanges = play(bot()).await;
        let answers: Vec<Vec<String>> = exchanges
            .iter()
            .map(|(_, sent)| sent.iter().map(Sent::text).collect())
            .collect();
        assert_eq!(answers[0], ["pong"]);
        let roll: u32 = answers[1][0].parse().expect("a number");
        assert!((1..=20).contains(&roll), "{roll}");
        assert_eq!(
            answers[2],
            ["第 1 个参数应为非负整数，收到“six”\n用法：/roll [非负整数]"]
        );
        let echoed = &exchanges[3].1;
        assert_eq!(echoed.len(), 1);
        assert_eq!(
            echoed[0].message.len(),
            2,
            "the quote and the image: {echoed:?}"
        );
        assert!(answers[4].is_empty(), "plain text is not answered");
        let greeting = &exchanges[5].1;
        assert_eq!(greeting[0].chat, Some(MessageTarget::Group(GroupId(GROUP))));
        assert_eq!(
            greeting[0].message.mentions().collect::<Vec<_>>(),
            [UserId(567891)]
        );
        for (_, sent) in &exchanges[..4] {
            assert!(
                sent[0].quotes().is_some(),
                "answers quote the command: {sent:?}"
            );
        }
    }
}
