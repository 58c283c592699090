//! What the simulator does with a request, following the spec and NapCat: find the action by
//! wire name or alias in the spec, check its params with NapCat's own payload schema (TypeBox's
//! `Value.Parse`, see `typebox`), then run the action's stateful handler or, where there is
//! none, answer with the spec's reply example.

use serde_json::{Map, Value};

use crate::handlers;
use crate::params::Params;
use crate::state::{Failure, Reply, State};
use crate::typebox::{self, Check};

/// Runs `action` (alias suffixes `_async` / `_rate_limited` already removed) with the
/// request's `params` as sent (NapCat takes a missing or falsy `params` as `{}`).
/// Also says whether NapCat marks the action's envelopes as a stream action's (`useStream`).
pub fn run(state: &mut State, action: &str, params: &Value) -> (bool, Result<Reply, Failure>) {
    match api_spec::builtin().find_wire(action) {
        Some(found) => {
            let outcome = run_found(state, found, params);
            let started = std::mem::take(&mut state.started);
            run_started(state, started);
            (found.napcat.stream_action, outcome)
        }
        None => (false, Err(Failure::Unknown(action.to_owned()))),
    }
}

fn run_found(
    state: &mut State,
    found: &api_spec::Action,
    params: &Value,
) -> Result<Reply, Failure> {
    let checked = match typebox::check_for(&found.wire_name) {
        Some(Check::Schema(props)) => typebox::parse(props, params)
            .map_err(|m| Failure::Schema(format!("Schema compilation error: {m}")))?,
        Some(Check::None) | None => params.clone(),
    };
    let empty = Map::new();
    let map = checked.as_object().unwrap_or(&empty);
    if let Some(handler) = handlers::find_stream(&found.wire_name) {
        return handler(state, &Params(map)).map(Reply::Packets);
    }
    match handlers::find(&found.wire_name) {
        // A handler with nothing to say answers as NapCat's does: `"data": null` where its
        // handler ends in `return null` (the spec's reply is `null`), no `data` at all where
        // it returns nothing.
        Some(handler) => handler(state, &Params(map)).map(|data| {
            Reply::Data(data.or_else(|| found.napcat.reply.clone().filter(Value::is_null)))
        }),
        None => Ok(Reply::Data(found.napcat.reply.clone())),
    }
}

/// Runs actions another one started (a quick operation), in order. As in NapCat, a failing
/// one is only logged.
pub(crate) fn run_started(
    state: &mut State,
    started: impl IntoIterator<Item = (&'static str, Value)>,
) {
    for (action, params) in started {
        if let (_, Err(e)) = run(state, action, &params) {
            tracing::warn!(action, error = ?e, "a quick operation failed");
        }
    }
}
