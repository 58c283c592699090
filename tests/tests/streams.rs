//! Stream actions over every transport: one call answered with several envelopes (NapCat's
//! `useStream`), read as packets and then a result; failures and breaks mid-way are errors,
//! never a quiet end; a stream nobody reads does not take the connection down with it.

use std::time::Duration;

use api_core::{Client, Error};
use api_sim::Fault;
use api_tests::{Via, over_every_transport, setup};

const PACKETS: usize = 10;

fn expected_packets() -> Vec<String> {
    (1..=PACKETS).map(|i| format!("Index-> {i}")).collect()
}

/// Runs a whole test stream, skipping its packets, and checks its result.
async fn assert_finishes(api: &Client) {
    let done = api
        .test_download_stream()
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    assert_eq!(done.data, "Stream transmission complete");
}

async fn packets_then_the_result(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    let mut stream = api.test_download_stream().await.unwrap();
    let mut seen = Vec::new();
    while let Some(packet) = stream.packet().await.unwrap() {
        assert_eq!(packet.data_type, "data_chunk");
        seen.push(packet.data);
    }
    assert_eq!(seen, expected_packets());
    assert_eq!(stream.packets_received(), PACKETS as u64);
    // Once the result arrived there are no more packets.
    assert!(stream.packet().await.unwrap().is_none());
    let done = stream.finish().await.unwrap();
    assert_eq!(done.data_type, "data_complete");
    assert_eq!(done.data, "Stream transmission complete");
    // The connection goes on serving ordinary calls.
    assert_eq!(api.get_login_info().await.unwrap().user_id, 10001);
    assert_eq!(api.pending_calls(), 0);
}

async fn finish_skips_unread_packets(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    assert_finishes(&api).await;
}

async fn a_failure_after_the_packets_is_the_servers_error(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    let mut stream = api.test_download_stream().error(true).await.unwrap();
    let mut seen = Vec::new();
    let failure = loop {
        match stream.packet().await {
            Ok(Some(packet)) => seen.push(packet.data),
            Ok(None) => panic!("the stream ended with a result instead of the failure"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, expected_packets());
    match &failure {
        Error::Api {
            retcode, message, ..
        } => {
            assert_eq!(*retcode, api_tests::handler_retcode(via));
            assert_eq!(message, "This is a test error");
        }
        other => panic!("expected the server's failure, got {other:?}"),
    }
    // NapCat's failure envelope of a stream action carries error data, kept in the body.
    let body = String::from_utf8_lossy(failure.body().unwrap()).into_owned();
    assert!(body.contains(r#""data_type":"error""#), "{body}");
    assert!(body.contains("stream-action"), "{body}");
    // Asking again repeats that it failed, and so does `finish`.
    assert!(stream.packet().await.is_err());
    assert!(stream.finish().await.is_err());
}

async fn a_connection_broken_mid_way_is_an_error(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    sim.script("test_download_stream", Fault::BreakStream { after: 3 });
    let mut stream = api.test_download_stream().await.unwrap();
    for _ in 0..3 {
        stream
            .packet()
            .await
            .unwrap()
            .expect("a packet before the break");
    }
    let e = stream.packet().await.unwrap_err();
    match (via, &e) {
        (Via::Http, Error::Transport { .. }) => {}
        (Via::Ws | Via::ReverseWs, Error::Disconnected { .. }) => {}
        _ => panic!("expected the break as an error, got {e:?}"),
    }
    assert_eq!(stream.packets_received(), 3);
}

async fn a_stream_that_stops_sending_times_out_per_packet(via: Via) {
    let (sim, api, _keep) = setup(via).await;
    // Nothing is ever sent: the call's timeout runs out, whether while waiting for the reply
    // to begin (HTTP waits for its head) or for the first packet.
    sim.script("test_download_stream", Fault::StallStream { after: 0 });
    let per_packet = Duration::from_millis(200);
    let outcome = match api.test_download_stream().timeout(per_packet).await {
        Ok(mut stream) => stream.packet().await.map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, per_packet),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

async fn a_dropped_stream_leaves_the_connection_serving(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    let mut stream = api.test_download_stream().await.unwrap();
    stream.packet().await.unwrap().expect("a first packet");
    drop(stream);
    // The rest of its packets are skipped; the next stream and calls are unaffected.
    assert_finishes(&api).await;
    assert_eq!(api.get_login_info().await.unwrap().user_id, 10001);
}

async fn a_stream_dropped_before_its_result_frees_its_slot(via: Via) {
    let (_sim, api, _keep) = setup(via).await;
    let mut stream = api.test_download_stream().await.unwrap();
    for _ in 0..PACKETS {
        stream.packet().await.unwrap().expect("a packet");
    }
    // The result is not read: whether it arrived yet or arrives later, the slot goes.
    drop(stream);
    tokio::time::timeout(Duration::from_secs(30), async {
        while api.pending_calls() != 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("no call is left waiting");
    assert_finishes(&api).await;
}

over_every_transport! {
    a_stream_dropped_before_its_result_frees_its_slot,
    packets_then_the_result,
    finish_skips_unread_packets,
    a_failure_after_the_packets_is_the_servers_error,
    a_connection_broken_mid_way_is_an_error,
    a_stream_that_stops_sending_times_out_per_packet,
    a_dropped_stream_leaves_the_connection_serving,
}

/// Over WebSocket one connection carries everything, so a stream nobody reads may hold it
/// only for its timeout: then the connection drops that stream (its reader learns why) and
/// serves the other calls again. What waits for the reader stays bounded meanwhile.
#[tokio::test]
async fn an_unread_stream_is_dropped_after_its_timeout_and_the_connection_goes_on() {
    let (_sim, api, _keep) = setup(Via::Ws).await;
    let stall = Duration::from_millis(300);
    let mut stream = api.test_download_stream().timeout(stall).await.unwrap();
    // This call's reply comes after the stream's packets, so it waits until the connection
    // gives up on the unread stream; its own timeout is far longer.
    assert_eq!(api.get_login_info().await.unwrap().user_id, 10001);
    let mut read = 0;
    let e = loop {
        match stream.packet().await {
            Ok(Some(_)) => read += 1,
            Ok(None) => panic!("the unread stream should have been dropped"),
            Err(e) => break e,
        }
    };
    assert!(
        read < PACKETS,
        "only what the connection held arrives ({read})"
    );
    match e {
        Error::StreamStalled { after, .. } => assert_eq!(after, stall),
        other => panic!("expected StreamStalled, got {other:?}"),
    }
}

/// The packets also come as a `futures` stream, ending with the error that broke it.
#[tokio::test]
async fn packets_as_a_futures_stream() {
    use futures_util::StreamExt;
    let (sim, api, _keep) = setup(Via::Ws).await;
    let packets: Vec<String> = api
        .test_download_stream()
        .await
        .unwrap()
        .into_packets()
        .map(|p| p.unwrap().data)
        .collect()
        .await;
    assert_eq!(packets, expected_packets());
    sim.script("test_download_stream", Fault::BreakStream { after: 2 });
    let items: Vec<_> = api
        .test_download_stream()
        .await
        .unwrap()
        .into_packets()
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert!(items[2].is_err(), "{:?}", items[2]);
}
