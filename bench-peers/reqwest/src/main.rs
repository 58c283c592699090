//! The least code that calls NapCat's HTTP server: one shared `reqwest::Client`, a POST of the
//! parameters per call, the body read into a plain struct with `serde_json::from_slice`.

use common::{Args, LoginInfoReply};

#[tokio::main]
async fn main() {
    let args = Args::from_env();
    let http = reqwest::Client::new();
    let url = format!("{}/get_login_info", args.url.trim_end_matches('/'));
    common::drive(&args, (http, url), |(http, url)| async move {
        let reply = http
            .post(&url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("send");
        let body = reply.bytes().await.expect("body");
        let reply: LoginInfoReply = serde_json::from_slice(&body).expect("decode");
        assert_eq!(reply.retcode, 0);
        reply.data.user_id
    })
    .await
}
