//! Helpers shared by the end-to-end tests.

use api_core::Client;
use api_sim::{RecordedCall, SimConfig, Simulator};
use serde_json::Value;

/// A simulator on a free loopback port and an HTTP client pointed at it.
pub async fn sim_and_client() -> (Simulator, Client) {
    sim_and_client_with(SimConfig::default()).await
}

/// Like [`sim_and_client`], with a custom simulator setup (the client gets the same token).
pub async fn sim_and_client_with(config: SimConfig) -> (Simulator, Client) {
    let token = config.token.clone();
    let sim = Simulator::start(config)
        .await
        .expect("bind a loopback port");
    let mut builder = Client::builder().base_url(sim.http_url());
    if let Some(t) = token {
        builder = builder.access_token(t);
    }
    (sim, builder.build().expect("valid client settings"))
}

/// The single call the simulator received since the last check, as (action, params).
pub fn only_call(sim: &Simulator) -> (String, Value) {
    let calls: Vec<RecordedCall> = sim.take_calls();
    assert_eq!(calls.len(), 1, "expected exactly one call, got {calls:?}");
    let c = calls.into_iter().next().expect("one call");
    (c.action, c.params)
}
