//! The wire format: the reply envelope, lenient decoding of NapCat's numbers-or-text values,
//! tag scanning and nesting checks without building JSON, ids, durations as seconds and base64
//! bytes.

pub(crate) mod base64;
pub(crate) mod flag;
pub(crate) mod header;
pub(crate) mod ids;
pub(crate) mod lenient;
pub(crate) mod nesting;
pub(crate) mod reply;
pub(crate) mod seconds;
pub(crate) mod tag_scan;
