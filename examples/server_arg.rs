//! The command line every example bot takes: nothing (play against the embedded simulator), or
//! a NapCat WebSocket URL and an optional access token.

use api_core::{Client, Error};

/// A client for the NapCat named on the command line, or `None` when none is named.
pub async fn connect_from_args() -> Option<Result<Client, Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next()?;
    let mut builder = Client::builder().ws_url(url);
    if let Some(token) = args.next() {
        builder = builder.access_token(token);
    }
    Some(builder.connect().await)
}
