//! A moderation bot for a group it runs (as owner or admin):
//!
//! - a member who posts a banned word has the message recalled and is banned for ten minutes;
//! - a join request whose comment holds the passphrase is approved, any other refused.
//!
//! ```sh
//! cargo run -p bot-examples --bin moderation_bot                                   # embedded simulator
//! cargo run -p bot-examples --bin moderation_bot -- ws://127.0.0.1:3001/ "$TOKEN"  # a real NapCat
//! ```
//!
//! Without a URL it starts the NapCat simulator, plays a few messages and join requests to
//! the bot's group, prints what the bot did and the group afterwards, and exits; with one it
//! serves until stopped.

mod server_arg;

use std::time::Duration;

use api_core::types::{Event, GroupRequest, GroupRequestKind, GroupRole, MessageEvent, Request};
use api_core::{Client, Error, GroupId, UserId};
use api_sim::{SimConfig, Simulator};

/// What the bot enforces.
#[derive(Debug, Clone)]
struct Rules {
    /// Words that get a message recalled and its sender banned.
    banned_words: Vec<String>,
    /// How long such a sender is banned.
    ban_for: Duration,
    /// What a join request's comment must contain to be approved.
    passphrase: String,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            banned_words: vec!["广告".into(), "代刷".into()],
            ban_for: Duration::from_secs(600),
            passphrase: "芝麻开门".into(),
        }
    }
}

/// What the bot did about one event.
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    /// Recalled a message and banned its sender.
    Banned { group: GroupId, user: UserId },
    /// Approved a join request.
    Approved { group: GroupId, user: UserId },
    /// Refused a join request.
    Refused { group: GroupId, user: UserId },
}

/// Recalls a message with a banned word and bans its sender; admins and the owner are left
/// alone (the server would refuse anyway).
async fn moderate(
    api: &Client,
    rules: &Rules,
    m: &MessageEvent,
) -> Result<Option<Decision>, Error> {
    let (Some(group), Some(user)) = (m.group_id, m.user_id) else {
        return Ok(None);
    };
    let text = m.message.plain_text();
    let offends = rules.banned_words.iter().any(|w| text.contains(w.as_str()));
    let exempt = matches!(m.sender.role, Some(GroupRole::Owner | GroupRole::Admin));
    if !offends || exempt {
        return Ok(None);
    }
    api.delete_msg(m.message_id).await?;
    api.set_group_ban(group, user, rules.ban_for).await?;
    api.send_group_msg(
        group,
        api_core::Message::new().at(user).text(format!(
            " 请勿发广告，禁言 {} 分钟。",
            rules.ban_for.as_secs() / 60
        )),
    )
    .await?;
    Ok(Some(Decision::Banned { group, user }))
}

/// Approves a join request whose comment holds the passphrase, refuses any other.
async fn admit(
    api: &Client,
    rules: &Rules,
    request: &Request,
    r: &GroupRequest,
) -> Result<Option<Decision>, Error> {
    if r.sub_type != GroupRequestKind::Add {
        return Ok(None);
    }
    let (group, user) = (r.group_id, r.user_id);
    if r.comment.contains(rules.passphrase.as_str()) {
        api.approve(request).await?;
        Ok(Some(Decision::Approved { group, user }))
    } else {
        api.reject(request, Some("暗号不对")).await?;
        Ok(Some(Decision::Refused { group, user }))
    }
}

/// What the bot does with one event.
async fn handle(api: &Client, rules: &Rules, event: &Event) -> Result<Option<Decision>, Error> {
    match event {
        Event::Message(m) if m.is_group() => moderate(api, rules, m).await,
        Event::Request(request @ Request::Group(r)) => admit(api, rules, request, r).await,
        _ => Ok(None),
    }
}

/// Receives events and acts on them; stops after `limit` decisions, if given, returning them.
async fn serve(api: Client, rules: Rules, limit: Option<usize>) -> Result<Vec<Decision>, Error> {
    let mut events = api.events();
    let mut decisions = Vec::new();
    while limit.is_none_or(|n| decisions.len() < n) {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(api_core::EventsError::Lagged(n)) => {
                eprintln!("missed {n} events");
                continue;
            }
            Err(api_core::EventsError::Closed) => break,
            // This client can receive no events: the error says why and what to change.
            Err(e) => {
                eprintln!("{e}");
                break;
            }
        };
        match handle(&api, &rules, &event).await {
            Ok(Some(d)) => {
                println!("bot: {d:?}");
                decisions.push(d);
            }
            Ok(None) => {}
            Err(e) => eprintln!("could not act: {e}"),
        }
    }
    Ok(decisions)
}

/// The group the embedded run plays in (the bot owns it in the simulator's default seed).
const GROUP: GroupId = GroupId(100200);

/// Plays two messages and two join requests to the bot's group and returns what it decided.
async fn play(sim: &Simulator, api: &Client) -> Result<Vec<Decision>, Error> {
    sim.wait_for_event_clients(1).await;
    let bot = tokio::spawn(serve(api.clone(), Rules::default(), Some(3)));
    sim.inject_group_message(GROUP.get(), 234567, "李四", serde_json::json!("大家晚上好"));
    sim.inject_group_message(
        GROUP.get(),
        345678,
        "王五",
        serde_json::json!("低价代刷，加我"),
    );
    sim.inject_group_request(GROUP.get(), 567891, "吴九", "问题：暗号？\n答案：芝麻开门");
    sim.inject_group_request(GROUP.get(), 678912, "郑十", "问题：暗号？\n答案：不知道");
    bot.await.expect("the bot task")
}

/// The embedded run: plays the scene and prints the group afterwards.
async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let sim = Simulator::start(SimConfig::default()).await?;
    println!(
        "no URL given: using the embedded NapCat simulator at {}",
        sim.ws_url("/")
    );
    let api = Client::builder().ws_url(sim.ws_url("/")).connect().await?;
    play(&sim, &api).await?;
    println!("\nthe group afterwards:");
    for m in api.get_group_member_list(GROUP).await? {
        let muted = m.shut_up_timestamp.unwrap_or(0) > 0;
        println!(
            "  {} {} {:?}{}",
            m.user_id,
            m.nickname,
            m.role,
            if muted { "  (banned)" } else { "" }
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match server_arg::connect_from_args().await {
        None => demo().await,
        Some(api) => {
            println!("connected; moderating until stopped");
            serve(api?, Rules::default(), None).await?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scene against the simulator: the spammer's message is gone and they are banned;
    /// the applicant with the passphrase is a member, the other is not.
    #[tokio::test]
    async fn bans_spam_and_admits_by_passphrase() {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let api = Client::builder()
            .ws_url(sim.ws_url("/"))
            .connect()
            .await
            .unwrap();
        let mut decisions = play(&sim, &api).await.unwrap();
        decisions.sort_by_key(|d| format!("{d:?}"));
        assert_eq!(
            decisions,
            [
                Decision::Approved {
                    group: GROUP,
                    user: UserId(567891)
                },
                Decision::Banned {
                    group: GROUP,
                    user: UserId(345678)
                },
                Decision::Refused {
                    group: GROUP,
                    user: UserId(678912)
                },
            ]
        );
        let muted = api.get_group_shut_list(GROUP).await.unwrap();
        assert_eq!(
            muted.iter().map(|m| m.user_id).collect::<Vec<_>>(),
            [UserId(345678)]
        );
        let history = api.get_group_msg_history(GROUP).await.unwrap().messages;
        assert!(
            history
                .iter()
                .all(|m| !m.message.plain_text().contains("代刷")),
            "the spam was recalled"
        );
        let members: Vec<UserId> = api
            .get_group_member_list(GROUP)
            .await
            .unwrap()
            .iter()
            .map(|m| m.user_id)
            .collect();
        assert!(members.contains(&UserId(567891)));
        assert!(!members.contains(&UserId(678912)));
    }
}
