use api_bot::commands::Commands;

#[derive(Commands)]
enum Command {
    /// Shows the help.
    #[command(alias = "h")]
    Help,
    /// Hugs someone.
    #[command(rename = "h")]
    Hug,
}

fn main() {}
