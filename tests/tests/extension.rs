//! A user crate adds actions from its own spec file and calls them through `Client`.

use api_core::UserId;
use api_sim::Fault;
use api_tests::{only_call, sim_and_client};
use serde_json::json;

api_macros::generate_api! {
    specs = ["../spec/extra.toml"],
    extension_trait = ExtraActions,
}

#[tokio::test]
async fn user_spec_action_is_sent_and_decoded() {
    let (sim, api) = sim_and_client().await;
    let ok = || Fault::Envelope(json!({"status": "ok", "retcode": 0, "data": null}));
    sim.script("mark_read_by_id", ok());
    api.mark_read_by_id("12345").await.unwrap();
    assert_eq!(
        only_call(&sim),
        ("mark_read_by_id".into(), json!({"message_id": "12345"}))
    );
    // A user spec names the built-in types without declaring them again.
    sim.script("set_profile_sex", ok());
    api.set_profile_sex(api_core::types::Sex::Female)
        .await
        .unwrap();
    assert_eq!(only_call(&sim).1, json!({"sex": 2}));

    sim.script(
        "get_plugin_version",
        Fault::Envelope(json!({"status":"ok","retcode":0,"data":{"app_name":"NapCat.Onebot","app_version":"4.18.19","protocol_version":"v11","extra_key":1}})),
    );
    let v = api.get_plugin_version().await.unwrap();
    assert_eq!(v.app_name, "NapCat.Onebot");
    assert_eq!(v.protocol_version.as_deref(), Some("v11"));
    assert_eq!(v.extra["extra_key"], json!(1));
    let names: Vec<&str> = ACTIONS.iter().map(|a| a.rust_name).collect();
    assert_eq!(
        names,
        [
            "mark_read_by_id",
            "get_plugin_version",
            "slow_probe",
            "set_profile_sex"
        ],
        "only the user's own actions"
    );
    assert_eq!(ACTIONS[0].category, "extra");
}

#[tokio::test]
async fn user_spec_checks_arguments_too() {
    let (sim, api) = sim_and_client().await;
    let err = api.mark_read_by_id("").await.unwrap_err();
    assert!(
        matches!(err, api_core::Error::InvalidArgument { ref param, .. } if param == "message_id")
    );
    assert!(sim.calls().is_empty());
    let err = api.mark_read_by_id("1").reason(" ").await.unwrap_err();
    assert!(matches!(err, api_core::Error::InvalidArgument { ref param, .. } if param == "reason"));
    assert!(sim.calls().is_empty());
    sim.script(
        "mark_read_by_id",
        Fault::Envelope(json!({"status": "ok", "retcode": 0, "data": null})),
    );
    api.mark_read_by_id("1").reason("done").await.unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"message_id": "1", "reason": "done"})
    );
}

#[test]
fn request_structs_serialize_to_the_wire_json() {
    let req = requests::MarkReadByIdRequest::new("9");
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"message_id": "9"})
    );
    let req = api_core::requests::SendLikeRequest::new(UserId(5)).times(3);
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"user_id": 5, "times": 3})
    );
    let req = api_core::requests::GetRecentContactRequest::new();
    assert_eq!(serde_json::to_value(&req).unwrap(), json!({}));
}

#[tokio::test]
async fn any_request_goes_through_the_generic_call() {
    let (sim, api) = sim_and_client().await;
    api.call(api_core::requests::SendLikeRequest::new(UserId(123456)).times(2))
        .await
        .unwrap();
    assert_eq!(
        only_call(&sim),
        ("send_like".into(), json!({"user_id": 123456, "times": 2}))
    );
    let info = api
        .call(api_core::requests::GetLoginInfoRequest::new())
        .await
        .unwrap();
    assert_eq!(info.user_id, 10001);
}

#[test]
fn sex_decodes_from_numbers_and_napcat_text_and_sends_numbers() {
    use api_core::types::Sex;
    for (text, sex) in [
        ("0", Sex::Unknown),
        ("1", Sex::Male),
        ("2", Sex::Female),
        ("\"unknown\"", Sex::Unknown),
        ("\"male\"", Sex::Male),
        ("\"female\"", Sex::Female),
        ("\"男\"", Sex::Male),
    ] {
        assert_eq!(serde_json::from_str::<Sex>(text).unwrap(), sex, "{text}");
    }
    assert!(serde_json::from_str::<Sex>("3").is_err());
    assert_eq!(serde_json::to_value(Sex::Female).unwrap(), json!(2));
    assert_eq!(Sex::Male.to_string(), "男");
}

/// A call and its request carry the same request, for code that handles any action's calls
/// (`HasPayload`, where call middleware reads or changes what is sent); an extension's calls
/// too.
#[tokio::test]
async fn calls_carry_their_request_for_generic_code() {
    use api_core::HasPayload;
    fn params<P: HasPayload>(p: &P) -> serde_json::Value {
        serde_json::to_value(p.payload()).unwrap()
    }
    let (sim, api) = sim_and_client().await;
    let call = api.send_like(UserId(5)).times(3);
    let request = api_core::requests::SendLikeRequest::new(UserId(5)).times(3);
    assert_eq!(params(&call), params(&request));
    assert_eq!(params(&call), json!({"user_id": 5, "times": 3}));

    let mut call = api.mark_read_by_id("9").reason("done");
    call.payload_mut().message_id = "10".into();
    assert_eq!(params(&call), json!({"message_id": "10", "reason": "done"}));
    sim.script(
        "mark_read_by_id",
        Fault::Envelope(json!({"status": "ok", "retcode": 0, "data": null})),
    );
    call.await.unwrap();
    assert_eq!(
        only_call(&sim).1,
        json!({"message_id": "10", "reason": "done"})
    );
}
