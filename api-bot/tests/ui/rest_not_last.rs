use api_bot::commands::{Commands, Rest};

#[derive(Commands)]
enum Command {
    /// Says something to someone.
    Say(Rest, u32),
}

fn main() {}
