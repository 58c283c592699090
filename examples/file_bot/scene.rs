//! Where the file bot runs: against a NapCat named on the command line it keeps files in
//! `received/` and `shared/` under the current directory and serves until Ctrl-C or
//! SIGTERM; without one it plays a scene on the embedded simulator in a folder of its own: a
//! member uploads a file, and another asks for a shared one.

#[path = "../bot_main.rs"]
mod bot_main;

use std::error::Error;
use std::path::PathBuf;

use api_bot::dispatcher::Bot;
use api_bot::testing::{Sent, TestBot};
use api_core::GroupId;
use api_sim::inject::Injection;

use crate::Folders;

/// The group the scene plays in.
pub const GROUP: i64 = 100200;

/// What the shared file holds in the scene: 300 KiB, so the upload goes in several chunks.
pub fn report() -> Vec<u8> {
    (0..300 * 1024).map(|i| (i % 251) as u8).collect()
}

/// Serves the bot over the NapCat on the command line, or plays the scene.
pub async fn run(bot: impl FnOnce(Folders) -> Bot) -> Result<(), Box<dyn Error>> {
    if std::env::args().nth(1).is_some() {
        let folders = Folders {
            received: PathBuf::from("received"),
            shared: PathBuf::from("shared"),
        };
        std::fs::create_dir_all(&folders.received)?;
        std::fs::create_dir_all(&folders.shared)?;
        return bot_main::serve_or_play(bot(folders), |_| async { Ok(()) }).await;
    }
    let folders = scratch_folders()?;
    let result = async {
        let played = play(bot(folders.clone()), &folders).await?;
        for (what, answers) in played {
            println!("{what}");
            for answer in answers {
                println!("  bot: {}", answer.message);
            }
        }
        Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(folders.received.parent().unwrap_or(&folders.received));
    result
}

/// Folders of the scene's own under the temp directory.
pub fn scratch_folders() -> std::io::Result<Folders> {
    let root = std::env::temp_dir().join(format!(
        "file_bot-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let folders = Folders {
        received: root.join("received"),
        shared: root.join("shared"),
    };
    std::fs::create_dir_all(&folders.received)?;
    std::fs::create_dir_all(&folders.shared)?;
    Ok(folders)
}

/// Plays the scene; returns what happened and the bot's answers to each.
pub async fn play(bot: Bot, folders: &Folders) -> Result<Vec<(String, Vec<Sent>)>, Box<dyn Error>> {
    std::fs::write(folders.shared.join("report.bin"), report())?;
    let bot = TestBot::start(bot).await;
    let mut played = Vec::new();
    bot.inject(Injection::GroupUpload {
        group_id: GROUP,
        user_id: 234567,
        name: "notes.txt".into(),
        content: "李四的笔记".into(),
    })
    .await;
    played.push(("李四 uploads notes.txt".to_owned(), bot.take_sent()));
    for said in ["/share report.bin", "/share missing.txt"] {
        bot.group_message(GROUP, 345678, said).await;
        played.push((format!("王五: {said}"), bot.take_sent()));
    }
    let files = bot.client().get_group_root_files(GroupId(GROUP)).await?;
    let names: Vec<String> = files.files.iter().map(|f| f.file_name.clone()).collect();
    played.push((format!("the group's files: {names:?}"), Vec::new()));
    Ok(played)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The uploaded file is saved whole; the shared one reaches the group's files whole.
    #[tokio::test]
    async fn files_go_both_ways() {
        let folders = scratch_folders().unwrap();
        let played = play(crate::bot(folders.clone()), &folders).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(folders.received.join("notes.txt")).unwrap(),
            "李四的笔记"
        );
        let answers: Vec<Vec<String>> = played
            .iter()
            .map(|(_, sent)| sent.iter().map(Sent::text).collect())
            .collect();
        assert_eq!(
            answers[0],
            [format!("已保存 notes.txt（{} 字节）", "李四的笔记".len())]
        );
        assert_eq!(
            answers[1],
            [format!("已上传 report.bin（{} 字节）", report().len())]
        );
        assert_eq!(answers[2], ["shared/ 里没有 missing.txt"]);
        assert!(played[3].0.contains("report.bin"), "{}", played[3].0);
        let _ = std::fs::remove_dir_all(folders.received.parent().unwrap());
    }
}
