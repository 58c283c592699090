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
    let sends: Vec<_> = (0..6)
        .map(|n| {
            tokio::spawn(
                api.send_group_msg(GroupId(100200), format!("{n}"))
                    .into_future(),
            )
        })
        .collect();
    for send in sends {
        send.await.unwrap().unwrap();
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
        .map(|c| c.params["message"].to_string())
        .collect();
    // Every send went out. (Their turns are in order, which the pacer's own tests check on
    // the paused clock; arrival order here would also depend on how the busy machine
    // schedules six tasks 50 ms apart.)
    assert_eq!(sent.len(), 6);
    for n in 0..6 {
        assert!(
            sent.iter().any(|m| m.contains(&format!("\"{n}\""))),
            "{n} missing: {sent:?}"
        );
    }
    assert_eq!(api.paced_sends_waiting(), 0);
}

over_every_transport! {
    sends_keep_the_limits,
}
