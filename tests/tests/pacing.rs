//! Paced sends over each transport: a paced client's message sends go out no faster than
//! its limits, in order within a chat, whatever code sends them.

use std::time::{Duration, Instant};

use api_core::{GroupId, Pacing, Rate};
use api_tests::{Via, over_every_transport, setup};

async fn sends_keep_the_limits(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    assert!(api.set_pacing(Pacing {
        account: None,
        chat: Some(Rate::per_second(20)),
        max_queued: 16,
    }));
    assert!(
        !api.set_pacing(Pacing::conservative()),
        "the first limits stay"
    );
    let started = Instant::now();
    // Six sends made at once, in this order (each is first polled, and so queued, in turn).
    let sends = (0..6).map(|n| {
        api.send_group_msg(GroupId(100200), format!("{n}"))
            .into_future()
    });
    for sent in futures_util::future::join_all(sends).await {
        sent.unwrap();
    }
    // One send at once, then one every 50 ms: the sixth goes 250 ms after the first.
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    let sent: Vec<String> = sim
        .take_calls()
        .iter()
        .filter(|c| c.action == "send_group_msg")
        .map(|c| c.params["message"][0]["data"]["text"].to_string())
        .collect();
    // Every send went out, and they reached the server in the order they were made: each
    // waited for the reply to the one before it.
    let expected: Vec<String> = (0..6).map(|n| format!("\"{n}\"")).collect();
    assert_eq!(sent, expected);
    assert_eq!(api.paced_sends_waiting(), 0);
}

over_every_transport! {
    sends_keep_the_limits,
}
