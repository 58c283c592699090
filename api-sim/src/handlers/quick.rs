//! `.handle_quick_operation` (go-cqhttp/QuickAction.ts): the quick operation an HTTP post's
//! answer carries, asked for with an action instead. NapCat starts it and answers at once
//! with no data; the dispatcher runs what it started once it has answered, and a failing
//! operation only goes to its log.

use serde_json::Value;

use crate::handlers::handler::Handler;
use crate::params::Params;
use crate::quick_operation;
use crate::state::{Outcome, State};

pub(super) const HANDLERS: &[(&str, Handler)] =
    &[(".handle_quick_operation", handle_quick_operation)];

fn handle_quick_operation(state: &mut State, p: &Params) -> Outcome {
    let field = |key: &str| p.0.get(key).cloned().unwrap_or(Value::Null);
    state.started.extend(quick_operation::action(
        &field("context"),
        &field("operation"),
    ));
    Ok(None)
}
