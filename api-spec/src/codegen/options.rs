//! What the caller of the generator chooses: where the methods go, which files to track.

/// Where the generated methods go.
#[derive(Debug, Clone)]
pub enum Target {
    /// Inherent methods on `api_core::Client` (only inside `api-core`).
    Core,
    /// A public extension trait with this name, implemented for `api_core::Client`.
    ExtensionTrait(String),
}

/// Options for `codegen::generate`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the methods go.
    pub target: Target,
    /// Files to `include_str!` so that editing a spec rebuilds the crate.
    pub track_files: Vec<String>,
}

impl Options {
    /// Methods going to `target`, with no files to track (what a test or a tool that expands
    /// a spec once needs).
    pub fn new(target: Target) -> Options {
        Options {
            target,
            track_files: vec![],
        }
    }
}
