//! Event intake.

use std::time::Instant;

use crate::shared::verdict;
use api_bench::baseline::{self};
use api_bench::{payloads, servers, timing};
use api_core::Client;

/// Typed events: decoding against a hand-written struct, CQ codes, and events per second
/// through the client's typed stream against raw tokio-tungstenite reading the same frames.
pub(crate) async fn events() {
    use api_core::Message;
    use api_core::types::Event;

    const EVENTS: usize = 10_000;
    const ROUNDS: usize = 21;
    let frames: Vec<String> = (0..EVENTS).map(payloads::group_message_event).collect();
    let bytes: usize = frames.iter().map(String::len).sum();
    println!("\n### 6. Events\n");
    println!(
        "A group message event with five segments (quote, @, text, face with its raw element, image), {} bytes each; {EVENTS} events per round, median of {ROUNDS} alternating rounds.\n",
        frames[0].len()
    );
    println!(
        "| path | ours | hand-written (`serde_json::from_slice` into a plain struct, serde-tagged segments) | ratio (median of the rounds' ratios; spread) | target ≤ 1.2× |"
    );
    println!("| --- | --- | --- | --- | --- |");
    let hand = || {
        for f in &frames {
            let e: baseline::event::GroupMessage = serde_json::from_slice(f.as_bytes()).unwrap();
            assert_eq!(e.message.len(), 5);
        }
    };
    // What a typed subscriber does (`Client::events`): the frame's bytes straight into `Event`.
    let typed = || {
        for f in &frames {
            let Event::Message(m) = Event::from_slice(f.as_bytes()).unwrap() else {
                panic!()
            };
            assert_eq!(m.message.len(), 5);
        }
    };
    // The same through serde's generic entry point, which reads the event into a `Value`
    // first because its tag may come last.
    let typed_serde = || {
        for f in &frames {
            let Event::Message(m) = serde_json::from_slice::<Event>(f.as_bytes()).unwrap() else {
                panic!()
            };
            assert_eq!(m.message.len(), 5);
        }
    };
    for (path, ours, target) in [
        (
            "`Event::from_slice` (what `Client::events` uses)",
            &typed as &dyn Fn(),
            true,
        ),
        ("`serde_json::from_slice::<Event>`", &typed_serde, false),
    ] {
        let m = timing::compare_paired(ROUNDS, ours, &hand);
        println!(
            "| {path} | {:.2} µs/event | {:.2} µs/event | {:.3} ({:.2}–{:.2}) | {} |",
            timing::micros(m.a, EVENTS),
            timing::micros(m.b, EVENTS),
            m.ratio,
            m.spread.0,
            m.spread.1,
            if target {
                verdict(m.ratio <= 1.2)
            } else {
                "(no target)"
            }
        );
    }

    let cq: Vec<String> = frames
        .iter()
        .map(|f| {
            serde_json::from_str::<serde_json::Value>(f).unwrap()["raw_message"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let cq_bytes: usize = cq.iter().map(String::len).sum();
    let parse = timing::median(ROUNDS, || {
        for s in &cq {
            assert_eq!(Message::from_cq(s).len(), 5);
        }
    });
    let messages: Vec<Message> = cq.iter().map(|s| Message::from_cq(s)).collect();
    let render = timing::median(ROUNDS, || {
        for m in &messages {
            assert!(!m.to_cq().is_empty());
        }
    });
    println!(
        "\nCQ codes ({EVENTS} strings of {} bytes, {} KiB): parsing {:.1} MB/s ({:.2} µs each), rendering {:.1} MB/s ({:.2} µs each).\n",
        cq[0].len(),
        cq_bytes / 1024,
        cq_bytes as f64 / parse.as_secs_f64() / 1e6,
        timing::micros(parse, EVENTS),
        cq_bytes as f64 / render.as_secs_f64() / 1e6,
        timing::micros(render, EVENTS),
    );

    // Events per second over forward WebSocket.
    const PUSHED: usize = 50_000;
    let pushed: Vec<String> = (0..PUSHED).map(payloads::group_message_event).collect();
    let addr = servers::event_pusher(std::sync::Arc::new(pushed)).await;
    let url = format!("ws://{addr}/");
    let mut ours = Vec::new();
    let mut raw = Vec::new();
    let mut lost = 0;
    const BURSTS: usize = 11;
    for _ in 0..BURSTS {
        // A buffer for the whole burst, so the rate is that of events delivered, none lost.
        let api = Client::builder()
            .ws_url(&url)
            .event_buffer(PUSHED)
            .connect()
            .await
            .unwrap();
        let mut stream = api.events();
        let started = Instant::now();
        api.call_json("get_status", serde_json::json!({}))
            .await
            .unwrap();
        // Until every pushed event was either delivered or reported lost (lagged).
        let (mut delivered, mut lagged) = (0, 0);
        while delivered + lagged < PUSHED {
            match stream.recv().await {
                Ok(Event::Message(_)) => delivered += 1,
                Ok(_) => {}
                Err(api_core::EventsError::Lagged(n)) => lagged += n as usize,
                Err(e) => panic!("{e}"),
            }
        }
        lost += lagged;
        ours.push(delivered as f64 / started.elapsed().as_secs_f64());
        drop(api);

        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        let started = Instant::now();
        futures_util::SinkExt::send(
            &mut ws,
            tokio_tungstenite::tungstenite::Message::Text(
                r#"{"action":"get_status","params":{},"echo":1}"#.into(),
            ),
        )
        .await
        .unwrap();
        let mut seen = 0;
        while seen < PUSHED {
            let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) =
                futures_util::StreamExt::next(&mut ws).await
            else {
                continue;
            };
            if let Ok(Event::Message(_)) = Event::from_slice(t.as_bytes()) {
                seen += 1;
            }
        }
        raw.push(PUSHED as f64 / started.elapsed().as_secs_f64());
    }
    // Each burst of ours is paired with the raw burst right after it; the ratio is the median
    // of the pairs' ratios, which a machine that gets busier or quieter over the run moves
    // less than a ratio of medians.
    let mut ratios: Vec<f64> = ours.iter().zip(&raw).map(|(o, r)| o / r).collect();
    ratios.sort_by(f64::total_cmp);
    ours.sort_by(f64::total_cmp);
    raw.sort_by(f64::total_cmp);
    let mid = BURSTS / 2;
    let ratio = ratios[mid];
    println!(
        "| {PUSHED} events pushed at once over forward WebSocket ({BURSTS} alternating bursts each) | typed stream (`Client::events`), events delivered | raw tokio-tungstenite, `Event::from_slice` per frame | ratio (median of the {BURSTS} pairs; spread) | target ≥ 0.9× |"
    );
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| delivered per second, median (spread) | {:.0} ({:.0}–{:.0}) | {:.0} ({:.0}–{:.0}) | {ratio:.3} ({:.2}–{:.2}) | {} |",
        ours[mid],
        ours[0],
        ours[BURSTS - 1],
        raw[mid],
        raw[0],
        raw[BURSTS - 1],
        ratios[0],
        ratios[BURSTS - 1],
        verdict(ratio >= 0.9)
    );
    println!(
        "\nevents the typed subscriber was told it lagged behind on, and so never saw: {lost} of {} (the raw client loses none: it reads no faster than it decodes)",
        BURSTS * PUSHED
    );
    let _ = bytes;
}
