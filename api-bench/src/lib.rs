//! Pieces of the benchmark harness: instant loopback servers, the hand-written baselines,
//! reply generators and timing helpers. The entry point is `benches/all/main.rs`, one module per section.

pub mod baseline;
pub mod build_cost;
pub mod payloads;
pub mod servers;
pub mod timing;
pub mod transfer;
