use api_bot::commands::Commands;

#[derive(Commands)]
#[commands(prefix = "")]
enum Command {
    #[command(alais = "p")]
    Ping,
    #[command(rename = "two words")]
    Pong,
}

fn main() {}
