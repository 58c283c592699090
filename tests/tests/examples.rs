//! Every action's spec example, run over HTTP, forward WebSocket and reverse WebSocket against
//! the simulator: it succeeds, sends the action's wire name with params NapCat's schema takes,
//! and decodes the reply into the declared type (the example's `?`). Actions without a
//! stateful handler answer their spec reply example, unchanged.

use api_tests::{Via, over_every_transport, setup};

async fn every_example_runs(via: Via) {
    let spec = api_spec::builtin();
    assert_eq!(
        api_core::examples::EXAMPLES.len(),
        spec.actions().count(),
        "one example per action"
    );
    for (name, example) in api_core::examples::EXAMPLES {
        let action = spec.find_action_any(name).expect("a spec action");
        let (sim, api, _keep) = setup(via).await;
        example(api.clone())
            .await
            .unwrap_or_else(|e| panic!("{name}'s example over {via:?}: {e}"));
        let calls = sim.take_calls();
        assert!(!calls.is_empty(), "{name}'s example sent nothing");
        for call in calls {
            assert!(
                call.action == action.wire_name || action.aliases.contains(&call.action),
                "{name} sent `{}`",
                call.action
            );
            let data = match call.reply {
                Some(Ok(data)) => data,
                other => panic!("{name}: the simulator answered {other:?}"),
            };
            let handled = api_sim::handled_actions().any(|h| h == action.wire_name);
            if !handled {
                assert_eq!(data, action.reply, "{name} answers its reply example");
            }
        }
    }
}

over_every_transport! {
    every_example_runs,
}
