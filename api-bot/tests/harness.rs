//! The test harness: an injection returns once the bot is done with the event it caused,
//! whatever its kind, so a test asserts right after it, without sleeping.

use std::sync::{Arc, Mutex};

use api_bot::dispatcher::Bot;
use api_bot::testing::TestBot;
use api_core::types::{GroupIncreaseNotice, GroupUploadNotice, Request};
use api_core::{Client, Error};
use api_sim::inject::{Injected, Injection};

/// A join request, a file upload and a member joining are each handled by the time their
/// injection returns; the calls the handler made are recorded by then.
#[tokio::test]
async fn each_injection_returns_once_handled() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let (uploads, joins) = (seen.clone(), seen.clone());
    let bot = Bot::new()
        .on(|api: Client, r: Request| async move { api.approve(&r).await })
        .on(move |n: GroupUploadNotice| {
            let seen = uploads.clone();
            async move { seen.lock().unwrap().push(format!("upload {}", n.file.name)) }
        })
        .on(move |n: GroupIncreaseNotice| {
            let seen = joins.clone();
            async move { seen.lock().unwrap().push(format!("joined {}", n.user_id)) }
        });
    let bot = TestBot::start(bot).await;
    let flag = bot
        .inject(Injection::GroupRequest {
            group_id: 100200,
            user_id: 567891,
            nickname: "吴九".into(),
            comment: "hi".into(),
        })
        .await;
    let Injected::Flag(flag) = flag else {
        unreachable!()
    };
    let calls = bot.sim().take_calls();
    assert_eq!(calls[0].action, "set_group_add_request");
    assert_eq!(calls[0].params["flag"], flag);
    bot.inject(Injection::GroupUpload {
        group_id: 100200,
        user_id: 234567,
        name: "notes.txt".into(),
        content: "hello".into(),
    })
    .await;
    assert_eq!(seen.lock().unwrap().last().unwrap(), "upload notes.txt");
    bot.inject(Injection::GroupIncrease {
        group_id: 100200,
        user_id: 678912,
        nickname: "郑十".into(),
        operator_id: 0,
        sub_type: Default::default(),
    })
    .await;
    assert_eq!(seen.lock().unwrap().last().unwrap(), "joined 678912");
}

/// Stopping the harness stops the bot as a signal would and says what the run saw.
#[tokio::test]
async fn stopping_reports_the_run() {
    async fn nothing(_: Client) -> Result<(), Error> {
        Ok(())
    }
    let bot = TestBot::start(Bot::new().on(nothing)).await;
    bot.private_message(123456, "one").await;
    bot.private_message(123456, "two").await;
    let summary = bot.stop().await;
    assert!(summary.events >= 2, "{summary:?}");
    assert_eq!(summary.abandoned, 0);
}
