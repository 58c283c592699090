//! Every action's spec example, run over HTTP, forward WebSocket and reverse WebSocket against
//! the simulator: it succeeds, sends the action's wire name with params NapCat's schema takes,
//! and decodes the reply into the declared type (the example's `?`). Actions without a
//! stateful handler answer their spec reply example, unchanged. An example may first call
//! other actions of the spec to make what it needs (`get_msg` sends the message it fetches).

use api_tests::{Via, over_every_transport, setup};

api_macros::generate_examples! {
    builtin = true,
}

async fn every_example_runs(via: Via) {
    let spec = api_spec::builtin();
    assert_eq!(
        examples::EXAMPLES.len(),
        spec.actions().count(),
        "one example per action"
    );
    for (name, example) in examples::EXAMPLES {
        let action = spec.find_action_any(name).expect("a spec action");
        let (sim, api, _keep) = setup(via).await;
        example(api.clone())
            .await
            .unwrap_or_else(|e| panic!("{name}'s example over {via:?}: {e}"));
        let calls = sim.take_calls();
        let own = |c: &api_sim::RecordedCall| {
            c.action == action.wire_name || action.aliases.contains(&c.action)
        };
        assert!(
            calls.iter().any(own),
            "{name}'s example never sent `{}`",
            action.wire_name
        );
        for call in calls {
            let called = spec
                .find_wire(&call.action)
                .unwrap_or_else(|| panic!("{name} sent `{}`, not a spec action", call.action));
            let data = match call.reply {
                Some(Ok(data)) => data,
                other => panic!("{name}: `{}` was answered {other:?}", call.action),
            };
            let handled = api_sim::handled_actions().any(|h| h == called.wire_name);
            if !handled {
                assert_eq!(
                    data, called.napcat.reply,
                    "{} answers its reply example",
                    call.action
                );
            }
        }
    }
}

over_every_transport! {
    every_example_runs,
}
