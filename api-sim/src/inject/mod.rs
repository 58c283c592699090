//! Injecting what QQ would bring: every event NapCat pushes, as something that happened to
//! the account (a member spoke, was banned, left; a friend request came; the account was
//! kicked offline). Each changes the state where the simulator keeps one (a ban holds, a
//! member who left is gone, a renamed group has its new name) and pushes the event NapCat
//! would push for it, with NapCat's keys (`api-spec/napcat/events.json`).
//!
//! One [`Injection`] per kind, read from JSON by its `kind` (the control API and
//! `napcat sim inject` send it so) or built in Rust for `Simulator::inject`. [`KINDS`]
//! describes them, from the same definitions.

mod account;
mod kinds;
mod members;
mod messages;
mod refusal;

pub use kinds::{
    AdminChange, DecreaseKind, FieldDoc, FileSendOutcome, IncreaseKind, Injected, Injection, KINDS,
    KindDoc,
};
pub use refusal::InjectError;

use crate::state::State;

/// Applies `injection` to the account, queueing the events it brings.
pub(crate) fn apply(state: &mut State, injection: Injection) -> Result<Injected, InjectError> {
    use Injection as I;
    match injection {
        I::PrivateMessage { user_id, message } => messages::private(state, user_id, message),
        I::TempMessage {
            group_id,
            user_id,
            message,
        } => messages::temp(state, group_id, user_id, message),
        I::GroupMessage {
            group_id,
            user_id,
            message,
        } => messages::group(state, group_id, user_id, message),
        I::SelfMessage {
            group_id,
            user_id,
            message,
        } => messages::own(state, group_id, user_id, message),
        I::GroupRecall {
            group_id,
            message_id,
            operator_id,
        } => messages::group_recall(state, group_id, message_id, operator_id),
        I::FriendRecall { message_id } => messages::friend_recall(state, message_id),
        I::Essence {
            group_id,
            message_id,
            operator_id,
        } => messages::essence(state, group_id, message_id, operator_id),
        I::EmojiLike {
            group_id,
            user_id,
            message_id,
            emoji_id,
            is_add,
        } => messages::emoji_like(state, group_id, user_id, message_id, &emoji_id, is_add),
        I::GrayTip {
            group_id,
            user_id,
            busi_id,
            content,
        } => messages::gray_tip(state, group_id, user_id, &busi_id, content),
        I::GroupUpload {
            group_id,
            user_id,
            name,
            content,
        } => members::upload(state, group_id, user_id, &name, &content),
        I::GroupAdmin {
            group_id,
            user_id,
            sub_type,
        } => members::admin(state, group_id, user_id, sub_type),
        I::GroupIncrease {
            group_id,
            user_id,
            nickname,
            operator_id,
            sub_type,
        } => members::increase(state, group_id, user_id, &nickname, operator_id, sub_type),
        I::GroupDecrease {
            group_id,
            user_id,
            operator_id,
            sub_type,
        } => members::decrease(state, group_id, user_id, operator_id, sub_type),
        I::GroupBan {
            group_id,
            user_id,
            operator_id,
            duration,
        } => members::ban(state, group_id, user_id, operator_id, duration),
        I::GroupCard {
            group_id,
            user_id,
            card,
        } => members::card(state, group_id, user_id, card),
        I::GroupPoke {
            group_id,
            user_id,
            target_id,
        } => members::poke(state, group_id, user_id, target_id),
        I::GroupName {
            group_id,
            user_id,
            name_new,
        } => members::rename(state, group_id, user_id, name_new),
        I::Title {
            group_id,
            user_id,
            title,
        } => members::title(state, group_id, user_id, title),
        I::GroupRequest {
            group_id,
            user_id,
            nickname,
            comment,
        } => account::group_request(state, group_id, user_id, &nickname, &comment),
        I::GroupInvite {
            group_id,
            group_name,
            user_id,
            nickname,
        } => account::group_invite(state, group_id, &group_name, user_id, &nickname),
        I::FriendRequest {
            user_id,
            nickname,
            comment,
        } => account::friend_request(state, user_id, &nickname, &comment),
        I::FriendAdd { user_id, nickname } => account::friend_add(state, user_id, &nickname),
        I::FriendPoke {
            user_id,
            sender_id,
            target_id,
        } => account::friend_poke(state, user_id, sender_id, target_id),
        I::InputStatus {
            user_id,
            event_type,
            status_text,
        } => account::input_status(state, user_id, event_type, status_text),
        I::ProfileLike {
            operator_id,
            operator_nick,
            times,
        } => account::profile_like(state, operator_id, operator_nick, times),
        I::BotOffline { tag, message } => account::bot_offline(state, tag, message),
        I::OnlineFileSend { peer_id, sub_type } => {
            account::online_file(state, peer_id, "online_file_send", sub_type.word())
        }
        I::OnlineFileReceive { peer_id } => {
            account::online_file(state, peer_id, "online_file_receive", "cancel")
        }
    }
}
