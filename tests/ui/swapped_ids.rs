// A call that takes a group and a user does not compile with the two swapped.
use api_core::{Client, GroupId, UserId};

async fn mark(api: Client, group: GroupId, user: UserId) {
    let _ = api.mark_group_msg_as_read(user).await;
    let _ = api.mark_private_msg_as_read(group).await;
}

fn main() {}
