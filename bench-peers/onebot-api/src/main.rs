//! onebot-api 1.3.0 as a bot author uses it: `WsService`, `Client::new` (its default 5 s
//! timeout, a timer per call), `start_service`, then `get_login_info`. It sets no
//! `TCP_NODELAY`.

use std::sync::Arc;

use onebot_api::api::APISender;
use onebot_api::communication::utils::Client;
use onebot_api::communication::ws::WsService;

use common::Args;

#[tokio::main]
async fn main() {
    let args = Args::from_env();
    let service = WsService::builder(&args.url).expect("URL").build();
    let mut client = Client::new(service);
    client.start_service().await.expect("connect");
    common::drive(&args, Arc::new(client), |client| async move {
        let info = client.get_login_info().await.expect("get_login_info");
        info.user_id
    })
    .await
}
