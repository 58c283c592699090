// NapCat's three message ids are three types: none goes where another is taken, and no
// other id goes where a message id is taken.
use api_core::{Client, ForwardId, GroupId, LongMessageId, MessageId, UserId};

async fn mix(api: Client, group: GroupId, forward: ForwardId, long: LongMessageId, id: MessageId) {
    let _ = api.delete_msg(group).await;
    let _ = api.get_msg(forward).await;
    let _ = api.receive_online_file(UserId(1), id, "element").await;
    let _ = api.get_forward_msg(long).await;
}

fn main() {}
