// A value from a closed set is its enum, not the bare number or text NapCat reads: a join
// option, a robot-invite setting and a yes/no flag each take only their own type.
use api_core::{Client, GroupId};

async fn set(api: Client) {
    let _ = api.set_group_add_option(GroupId(1), 4).await;
    let _ = api.set_group_robot_add_option(GroupId(1)).robot_member_switch(1).await;
    let _ = api.send_group_notice(GroupId(1), "text").pinned(1).await;
}

fn main() {}
