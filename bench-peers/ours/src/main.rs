//! This project's client, as the README shows: the default builder, then `connect()` for a
//! WebSocket URL (`TCP_NODELAY` is the builder's default, on, unless `NODELAY=0`) or `build()`
//! for an HTTP one (`base_url`).

use api_core::Client;

use common::Args;

#[tokio::main]
async fn main() {
    let args = Args::from_env();
    let builder = Client::builder();
    let client = if args.url.starts_with("http") {
        builder.base_url(&args.url).build().expect("build")
    } else {
        let builder = builder.ws_url(&args.url).tcp_nodelay(Args::nodelay(true));
        builder.connect().await.expect("connect")
    };
    common::drive(&args, client, |client| async move {
        let info = client.get_login_info().await.expect("get_login_info");
        info.user_id.get()
    })
    .await
}
