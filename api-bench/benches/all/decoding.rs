//! Decoding replies into typed results.

use crate::shared::{ratio, verdict};
use api_bench::baseline::{self};
use api_bench::{payloads, timing};
use api_core::Action;
use api_core::RawReply;

pub(crate) fn decoding() {
    println!("\n### 3. Decoding a whole reply (median of 21 alternating rounds)\n");
    println!(
        "| reply | generated decoder (envelope check + typed data) | `serde_json::from_slice` into a hand-written struct | ratio | target ≤ 1.2× |"
    );
    println!("| --- | --- | --- | --- | --- |");
    decode_row(
        "`get_friend_list`, 10,000 friends",
        &payloads::friend_list(10_000),
        |raw| {
            api_core::requests::GetFriendListRequest::decode_reply(raw)
                .unwrap()
                .len()
        },
        |bytes| {
            let env: baseline::Envelope<Vec<baseline::Friend>> =
                serde_json::from_slice(bytes).unwrap();
            env.data.len()
        },
    );
    decode_row(
        "`get_recent_contact`, 1,000 contacts",
        &payloads::recent_contacts(1_000),
        |raw| {
            api_core::requests::GetRecentContactRequest::decode_reply(raw)
                .unwrap()
                .len()
        },
        |bytes| {
            let env: baseline::Envelope<Vec<baseline::RecentContact>> =
                serde_json::from_slice(bytes).unwrap();
            env.data.len()
        },
    );
}

/// One row of the decoding table: both decoders over the same reply, alternating rounds.
pub(crate) fn decode_row(
    label: &str,
    reply: &str,
    ours: impl Fn(&RawReply) -> usize,
    hand: impl Fn(&[u8]) -> usize,
) {
    const ROUNDS: usize = 21;
    let raw = RawReply::new(Some(200), reply.to_owned());
    let expected = hand(reply.as_bytes());
    let (o, h) = timing::compare(
        ROUNDS,
        || assert_eq!(ours(&raw), expected),
        || assert_eq!(hand(reply.as_bytes()), expected),
    );
    let r = ratio(o.as_secs_f64(), h.as_secs_f64());
    println!(
        "| {label} ({} KiB) | {:.2} ms | {:.2} ms | {r:.3} | {} |",
        reply.len() / 1024,
        o.as_secs_f64() * 1e3,
        h.as_secs_f64() * 1e3,
        verdict(r <= 1.2)
    );
}
