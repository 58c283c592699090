//! Files: what a file parameter takes ([`Uploadable`](uploadable::Uploadable)), how local data
//! inside a request is found and read, stream actions' packets, and whole-file uploads and
//! downloads built on them.

pub(crate) mod collect;
pub(crate) mod download;
mod download_headers;
pub(crate) mod stream;
pub(crate) mod upload;
pub(crate) mod uploadable;
