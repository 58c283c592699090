//! kovi 0.11 as a bot author uses it: a `Bot` built from a `KoviConf` (no config file, no
//! prompt), one main plugin that takes the runtime bot and calls `get_login_info`.
//! kovi dials `/event` and `/api` itself and sets no `TCP_NODELAY`; it has no per-call timer.
//! `Bot::run` blocks on kovi's own multi-thread runtime, where the plugin's tasks run.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kovi::PluginBuilder;
use kovi::bot::{Bot, Host, KoviConf, Server};

use common::Args;

fn main() {
    let args = Args::from_env();
    let authority = args
        .url
        .strip_prefix("ws://")
        .expect("a ws:// URL")
        .split('/')
        .next()
        .expect("host:port");
    let (host, port) = authority.rsplit_once(':').expect("host:port");
    let host = match host.parse() {
        Ok(ip) => Host::IpAddr(ip),
        Err(_) => Host::Domain(host.to_owned()),
    };
    let server = Server::new(host, port.parse().expect("port"), String::new(), false);
    let mut bot = Bot::build(KoviConf::new(0, None, server, false));
    bot.mount_main(
        "bench",
        "0.1.0",
        Arc::new(move || -> Pin<Box<dyn Future<Output = ()> + Send>> {
            let args = args.clone();
            Box::pin(async move {
                let bot = PluginBuilder::get_runtime_bot();
                common::drive(&args, bot, |bot| async move {
                    let reply = bot.get_login_info().await.expect("get_login_info");
                    reply.data["user_id"].as_i64().expect("user_id")
                })
                .await
            })
        }),
    );
    bot.run();
}
