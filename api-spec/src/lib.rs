//! The NapCat API spec: parsing, validation and the three readers of the model.
//!
//! Spec files (TOML, one per category, under `spec/`) are loaded by [`load`] into one
//! validated [`Spec`]. Three readers use that model:
//! - [`codegen`] turns it into Rust tokens (used by the `api-macros` crate);
//! - [`docs`] renders Markdown pages;
//! - [`dump`] writes a JSON description for other tools.

pub mod codegen;
pub mod commands;
pub mod docs;
pub mod dump;
pub mod error;
pub mod load;
pub mod model;
pub mod names;
pub mod napcat;
pub mod scaffold;
pub mod types;
pub mod value;

pub use error::{SpecError, SpecErrors};
pub use load::{builtin, load, load_builtin};
pub use model::*;
pub use types::{Scalar, TypeRef};
