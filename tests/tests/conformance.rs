//! The spec against NapCat's own schemas (`api-spec/napcat/actions.json`): every wire name
//! and alias is one NapCat registers, every parameter key is one of NapCat's, required-ness
//! agrees unless the spec declares why it differs, and both the spec's reply examples and
//! NapCat's `return_example`s decode with the generated decoders.

use std::collections::BTreeMap;

use api_core::reply::RawReply;
use api_spec::{Presence, Spec};
use serde_json::{Value, json};

fn napcat() -> BTreeMap<String, Value> {
    let text = api_spec::napcat::ACTIONS_JSON;
    let list: Vec<Value> = serde_json::from_str(text).expect("NapCat's action list is JSON");
    list.into_iter()
        .map(|a| (a["action"].as_str().unwrap_or_default().to_owned(), a))
        .collect()
}

fn spec() -> Spec {
    api_spec::load_builtin().expect("the shipped spec loads")
}

fn napcat_params(action: &Value) -> BTreeMap<String, bool> {
    action["params"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["required"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

#[test]
fn every_wire_name_and_alias_is_napcats() {
    let napcat = napcat();
    let mut missing = Vec::new();
    for (_, a) in spec().actions() {
        for name in std::iter::once(&a.wire_name).chain(&a.aliases) {
            if !napcat.contains_key(name) {
                missing.push(format!("{} ({name})", a.rust_name));
            }
        }
    }
    assert!(missing.is_empty(), "not NapCat actions: {missing:?}");
}

#[test]
fn every_parameter_key_is_napcats_and_required_ness_agrees() {
    let napcat = napcat();
    let spec = spec();
    let mut problems = Vec::new();
    for (_, a) in spec.actions() {
        let theirs = napcat_params(&napcat[&a.wire_name]);
        for p in &a.params {
            let keys = spec.param_keys(p);
            for key in keys.iter().chain(&p.aliases) {
                if !theirs.contains_key(key) {
                    problems.push(format!(
                        "{}: `{key}` is not a NapCat parameter",
                        a.rust_name
                    ));
                }
            }
            let ours = p.presence == Presence::Required;
            let either_or = spec.keyed_union(&p.ty).is_some();
            let agrees = if either_or {
                // Each member is optional in NapCat; exactly one is required here.
                keys.iter().all(|k| theirs.get(k) == Some(&false))
            } else {
                theirs.get(&p.wire_name) == Some(&ours)
            };
            if !agrees && p.differs.is_none() {
                problems.push(format!(
                    "{}: `{}` is {} here and {} in NapCat; match it or say why with `differs`",
                    a.rust_name,
                    p.rust_name,
                    if ours { "required" } else { "optional" },
                    if ours { "optional" } else { "required" },
                ));
            }
        }
        for (key, required) in &theirs {
            let covered = a
                .params
                .iter()
                .any(|p| spec.param_keys(p).contains(key) || p.aliases.contains(key));
            if *required && !covered {
                problems.push(format!("{}: NapCat requires `{key}`", a.rust_name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Decodes `data` as the action's reply would be, with the generated decoder.
fn decode(rust_name: &str, data: &Value) -> Result<Value, api_core::Error> {
    let action = api_core::action_by_name(rust_name).expect("a generated action");
    let envelope =
        json!({"status": "ok", "retcode": 0, "data": data, "message": "", "wording": ""});
    action.decode(&RawReply::new(Some(200), envelope.to_string()))
}

#[test]
fn every_reply_example_decodes_into_the_return_type() {
    for (_, a) in spec().actions() {
        if let Some(reply) = &a.reply {
            decode(&a.rust_name, reply)
                .unwrap_or_else(|e| panic!("{}: the spec's reply example: {e}", a.rust_name));
        }
    }
}

/// NapCat return examples that its own code does not send, each with what the code sends
/// instead; the spec follows the code.
const EXAMPLES_THE_CODE_CONTRADICTS: &[(&str, &str)] = &[
    (
        "test_download_stream",
        "`{success: true}`, but TestStreamDownload.ts returns `{type, data_type, data}`",
    ),
    (
        "download_file_stream",
        "the first packet (`file_info`), but the result is `file_complete` (DownloadFileStream.ts)",
    ),
    (
        "download_file_image_stream",
        "`{file: 'temp_image_path'}`, but DownloadFileImageStream.ts returns `file_complete`",
    ),
    (
        "create_group_file_folder",
        "`{result: {}, groupItem: {}}`, placeholders; QQ's result has `retCode` (NodeIKernelRichMediaService.ts createGroupFolder)",
    ),
    (
        "delete_group_file",
        "`{}`, a placeholder; QQ's answer is `{result, errMsg, transGroupFileResult}` (NodeIKernelRichMediaService.ts deleteGroupFile)",
    ),
    (
        "delete_group_folder",
        "`{}`, a placeholder; QQ's answer is `{retCode, retMsg, clientWording}` (NodeIKernelRichMediaService.ts deleteGroupFolder)",
    ),
    (
        "download_file_record_stream",
        "`{file: 'temp_record_path'}`, but DownloadFileRecordStream.ts returns `file_complete`",
    ),
];

#[test]
fn napcats_return_examples_decode_into_the_return_type() {
    let napcat = napcat();
    for (_, a) in spec().actions() {
        let example = &napcat[&a.wire_name]["return_example"];
        if example.is_null() {
            continue;
        }
        if let Some((_, why)) = EXAMPLES_THE_CODE_CONTRADICTS
            .iter()
            .find(|(name, _)| *name == a.wire_name)
        {
            assert!(
                decode(&a.rust_name, example).is_err(),
                "{}: NapCat's example now decodes; drop it from the list ({why})",
                a.rust_name
            );
            continue;
        }
        decode(&a.rust_name, example)
            .unwrap_or_else(|e| panic!("{}: NapCat's return_example: {e}", a.rust_name));
    }
}

#[test]
fn a_reply_example_that_does_not_fit_is_caught() {
    // The decoders are strict where the spec is: a wrong shape is a Decode error, so the two
    // tests above can fail.
    let err = decode("get_login_info", &json!({"user_id": [], "nickname": "x"})).unwrap_err();
    assert!(matches!(err, api_core::Error::Decode { .. }), "{err:?}");
}

/// How many of NapCat's wire names the spec reaches (as a wire name or an alias), printed with
/// those it does not reach yet; the group, request and file actions must all be there.
#[test]
fn coverage_of_napcats_wire_names() {
    let napcat = napcat();
    let spec = spec();
    let reached: std::collections::BTreeSet<&str> = spec
        .actions()
        .flat_map(|(_, a)| std::iter::once(&a.wire_name).chain(&a.aliases))
        .map(String::as_str)
        .collect();
    let missing: Vec<&str> = napcat
        .keys()
        .map(String::as_str)
        .filter(|n| !reached.contains(n))
        .collect();
    println!(
        "{} of {} NapCat wire names covered; not yet: {}",
        napcat.len() - missing.len(),
        napcat.len(),
        missing.join(", ")
    );
    for name in [
        "get_group_at_all_remain",
        "get_group_detail_info",
        "get_group_honor_info",
        "get_group_info",
        "get_group_info_ex",
        "get_group_list",
        "get_group_member_info",
        "get_group_member_list",
        "get_group_shut_list",
        "set_group_add_option",
        "set_group_admin",
        "set_group_ban",
        "set_group_card",
        "set_group_kick",
        "set_group_kick_members",
        "set_group_leave",
        "set_group_member_invite_policy",
        "set_group_member_permissions",
        "set_group_name",
        "set_group_new_member_history_visibility",
        "set_group_portrait",
        "set_group_remark",
        "set_group_robot_add_option",
        "set_group_search",
        "set_group_special_title",
        "set_group_whole_ban",
        "get_doubt_friends_add_request",
        "get_group_ignore_add_request",
        "get_group_ignored_notifies",
        "get_group_system_msg",
        "set_doubt_friends_add_request",
        "set_group_add_request",
        // Files and streams.
        "create_group_file_folder",
        "delete_group_file",
        "delete_group_folder",
        "get_group_file_system_info",
        "get_group_file_url",
        "get_group_files_by_folder",
        "get_group_root_files",
        "move_group_file",
        "rename_group_file",
        "trans_group_file",
        "upload_group_file",
        "download_file",
        "get_file",
        "get_image",
        "get_private_file_url",
        "get_record",
        "upload_private_file",
        "upload_file_stream",
        "download_file_stream",
        "download_file_image_stream",
        "download_file_record_stream",
        "clean_stream_temp_file",
        "test_download_stream",
    ] {
        assert!(napcat.contains_key(name), "{name} is not NapCat's");
        assert!(reached.contains(name), "{name} is not in the spec");
    }
}
