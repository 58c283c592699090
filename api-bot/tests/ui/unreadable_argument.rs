use api_bot::commands::Commands;

struct Colour;

#[derive(Commands)]
enum Command {
    /// Paints.
    Paint { colour: Colour },
}

fn main() {}
