//! A file bot for its groups:
//!
//! - a file uploaded to a group is downloaded, with progress, into `received/`;
//! - `/share NAME` uploads `shared/NAME` to the group's files, with progress.
//!
//! ```sh
//! cargo run -p bot-examples --bin file_bot                                   # embedded simulator
//! cargo run -p bot-examples --bin file_bot -- ws://127.0.0.1:3001/ "$TOKEN"  # a real NapCat
//! ```

mod scene;

use std::path::{Path, PathBuf};

use api_bot::commands::{Commands, Rest};
use api_bot::dispatcher::Bot;
use api_bot::extract::State;
use api_bot::reply::Reply;
use api_core::types::{GroupUploadNotice, MessageEvent};
use api_core::{Client, Error, Progress, Uploadable};

/// Where received files go and shared files come from.
#[derive(Debug, Clone)]
pub struct Folders {
    /// Downloads land here.
    pub received: PathBuf,
    /// `/share` takes files from here.
    pub shared: PathBuf,
}

#[derive(Commands)]
enum Command {
    /// 把 shared/ 里的文件传到群文件
    Share(Rest),
}

/// Prints a transfer's progress at every quarter.
fn progress(what: String) -> impl FnMut(Progress) {
    let mut shown = 0;
    move |p: Progress| {
        let quarter = p.total.filter(|t| *t > 0).map_or(4, |t| p.bytes * 4 / t);
        if quarter > shown || p.total == Some(p.bytes) {
            shown = quarter.max(shown + 1);
            println!("{what}: {} / {:?} bytes", p.bytes, p.total);
        }
    }
}

/// Only a name's last part, so that no path from the group reaches the disk.
fn file_name(name: &str) -> Option<&str> {
    Path::new(name).file_name()?.to_str()
}

async fn save(
    api: Client,
    n: GroupUploadNotice,
    State(folders): State<Folders>,
) -> Result<Reply, Error> {
    let Some(name) = file_name(&n.file.name) else {
        return Ok(Reply::from("这个文件名不能保存"));
    };
    let download = api.download(n.file.id.clone()).await?;
    let saved = download
        .save_with(
            folders.received.join(name),
            progress(format!("downloading {name}")),
        )
        .await?;
    Ok(Reply::from(format!(
        "已保存 {name}（{} 字节）",
        saved.bytes
    )))
}

async fn share(
    api: Client,
    m: MessageEvent,
    Command::Share(Rest(name)): Command,
    State(folders): State<Folders>,
) -> Result<Reply, Error> {
    let (Some(group), Some(name)) = (m.group_id, file_name(&name)) else {
        return Ok(Reply::from("在群里用 /share 文件名"));
    };
    let path = folders.shared.join(name);
    if !path.is_file() {
        return Ok(Reply::from(format!("shared/ 里没有 {name}")));
    }
    let up = api
        .upload(path.as_path())
        .on_progress(progress(format!("uploading {name}")))
        .await?;
    api.upload_group_file(group, Uploadable::server(up.path), name)
        .await?;
    Ok(Reply::from(format!("已上传 {name}（{} 字节）", up.size)))
}

/// The bot, keeping files in `folders`.
fn bot(folders: Folders) -> Bot {
    Bot::new().state(folders).on(save).on(share)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    scene::run(bot).await
}
