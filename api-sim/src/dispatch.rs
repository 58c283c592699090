//! What the simulator does with a request, following the spec: find the action by wire name
//! or alias, check its params as NapCat's schema would, then run the action's stateful handler
//! or, where there is none, answer with the spec's reply example.

use api_spec::value::convert_param;
use api_spec::{Action, Param, Presence, Spec};
use serde_json::{Map, Value};

use crate::handlers;
use crate::params::{Params, SchemaError};
use crate::state::{Failure, Outcome, State};

/// Runs `action` (alias suffixes `_async` / `_rate_limited` already removed).
pub fn run(state: &mut State, action: &str, params: &Map<String, Value>) -> Outcome {
    let spec = api_spec::builtin();
    let Some(found) = spec.find_wire(action) else {
        return Err(Failure::Unknown(action.to_owned()));
    };
    let params = if found.schema_checked {
        checked(spec, found, params)?
    } else {
        params.clone()
    };
    match handlers::find(&found.wire_name) {
        Some(handler) => handler(state, &Params(&params)),
        None => Ok(found.reply.clone()),
    }
}

/// Whether NapCat's schema requires the param: the spec's required-ness, unless the spec
/// declares that it differs from NapCat's (`differs`), which is about required-ness.
fn napcat_requires(p: &Param) -> bool {
    (p.presence == Presence::Required) != p.differs.is_some()
}

/// The params after NapCat's schema check: each given key converted to its type (`"1"` to 1
/// for numbers ...), a missing required key or a value of the wrong type refused with NapCat's
/// wording. An either-or parameter's keys are each optional in NapCat's schema; which one is
/// needed is the handler's business, as it is NapCat's.
fn checked(
    spec: &Spec,
    action: &Action,
    params: &Map<String, Value>,
) -> Result<Map<String, Value>, Failure> {
    let mut out = params.clone();
    for p in &action.params {
        let mut typed = spec.param_key_types(p);
        if let Some((_, ty)) = typed.first().cloned() {
            typed.extend(p.aliases.iter().map(|a| (a.clone(), ty.clone())));
        }
        let mut given = false;
        for (key, ty) in &typed {
            if let Some(value) = out.get_mut(key) {
                given = true;
                convert_param(spec, ty, value, key).map_err(SchemaError::from)?;
            }
        }
        if !given && spec.keyed_union(&p.ty).is_none() && napcat_requires(p) {
            return Err(SchemaError::required().into());
        }
    }
    Ok(out)
}
