//! `#[derive(Commands)]`: an enum of bot commands read from its attributes ([`read`]) and
//! expanded into the `api_bot::commands::Commands` implementation and the extractor
//! ([`expand`]). The proc-macro in `api-macros` only calls [`derive`].
//!
//! ```ignore
//! #[derive(Commands)]
//! #[commands(prefix = "/")]
//! enum Command {
//!     /// Answers pong.
//!     Ping,
//!     /// Rolls a die with this many sides.
//!     #[command(alias = "r")]
//!     Roll { sides: Option<u32> },
//! }
//! ```

mod expand;
mod read;

use proc_macro2::TokenStream;

pub use read::{CommandSet, CommandSpec, Fields, Param};

/// The derive: the implementation, or every error found as one `compile_error!` list, each
/// at the attribute or item it is about.
pub fn derive(input: TokenStream) -> TokenStream {
    match syn::parse2::<syn::DeriveInput>(input) {
        Ok(item) => match read::read(&item) {
            Ok(set) => expand::expand(&set),
            Err(e) => e.to_compile_error(),
        },
        Err(e) => e.to_compile_error(),
    }
}
