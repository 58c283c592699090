use api_bot::commands::Commands;

#[derive(Commands)]
struct Command {
    name: String,
}

fn main() {}
