//! What every dispatcher example does with its bot: against a NapCat named on the command
//! line (`ws://…` and an optional access token) it serves until Ctrl-C or SIGTERM; without
//! one it plays its scene on the embedded simulator.

#[path = "server_arg.rs"]
mod server_arg;

use std::error::Error;
use std::future::Future;

use api_bot::dispatcher::Bot;

/// Serves `bot` over the NapCat on the command line, or plays `scene` with it.
pub async fn serve_or_play<F>(bot: Bot, scene: impl FnOnce(Bot) -> F) -> Result<(), Box<dyn Error>>
where
    F: Future<Output = Result<(), Box<dyn Error>>>,
{
    match server_arg::connect_from_args().await {
        Some(api) => {
            println!("connected; serving until Ctrl-C or SIGTERM");
            let summary = bot.run(api?).await;
            println!("stopped after {} events", summary.events);
            Ok(())
        }
        None => {
            println!("no URL given: playing a scene on the embedded NapCat simulator");
            scene(bot).await
        }
    }
}
