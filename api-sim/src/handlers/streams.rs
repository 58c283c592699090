//! Stream actions: one call answered with packets and then a result. Follows NapCat's
//! action/stream/*.ts (v4.18.19).

use serde_json::json;

use super::StreamHandler;
use crate::params::Params;
use crate::state::{Failure, Packets, State};

pub(super) const HANDLERS: &[(&str, StreamHandler)] =
    &[("test_download_stream", test_download_stream)];

/// NapCat's test stream (TestStreamDownload.ts): ten `data_chunk` packets, then the result,
/// or with `error` a failure after the packets. NapCat waits 100 ms between packets; the
/// simulator does not.
fn test_download_stream(_state: &mut State, p: &Params) -> Result<Packets, Failure> {
    let error = p.opt_bool("error")?.unwrap_or(false);
    let packets = (1..=10).map(|i| {
        Ok(json!({"type": "stream", "data": format!("Index-> {i}"), "data_type": "data_chunk"}))
    });
    let end = if error {
        Err(Failure::Handler("This is a test error".into()))
    } else {
        Ok(
            json!({"type": "response", "data_type": "data_complete", "data": "Stream transmission complete"}),
        )
    };
    Ok(Box::new(packets.chain(std::iter::once(end))))
}
