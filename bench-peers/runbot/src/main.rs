//! runbot 0.1.23 as a bot author uses it: `BotContextBuilder`, `loop_client` spawned, then
//! `get_login_info`. runbot sets no `TCP_NODELAY` and wraps every call in its own 10 s timeout.
//! It has no public "connected" signal: calls fail at once until the socket is up, so the
//! driver retries the first call.

use std::time::{Duration, Instant};

use runbot::prelude::*;

use common::Args;

#[tokio::main]
async fn main() {
    let args = Args::from_env();
    let ctx = BotContextBuilder::new()
        .url(&args.url)
        .build()
        .expect("build");
    tokio::spawn(loop_client(ctx.clone()));
    let began = Instant::now();
    while let Err(e) = ctx.get_login_info().await {
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "not connected: {e}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    common::drive(&args, ctx, |ctx| async move {
        ctx.get_login_info().await.expect("get_login_info").user_id
    })
    .await
}
