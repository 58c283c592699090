//! What a handler's failure is: any error, boxed.

/// Any error, boxed: what a handler's `Result` error becomes.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
