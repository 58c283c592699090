//! The files NapCat can reach: files QQ knows (received files, images and voice, group
//! files), which NapCat's stream downloads find by file id or by name (its
//! `BaseDownloadStream.resolveDownload`: a file UUID, else QQ's file search), and NapCat's
//! temp directory (`NapCatTempPath`), where completed stream uploads land.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;

/// NapCat's temp directory, as the simulator names it.
pub const TEMP_DIR: &str = "/napcat/temp";

/// What kind of file QQ holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// Any file.
    File,
    /// An image, with the size NapCat reads from it.
    Image {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A voice message.
    Record,
}

/// A file QQ knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFile {
    /// Its id (NapCat hands out UUIDs).
    pub file_id: String,
    /// Its name.
    pub name: String,
    /// Its bytes.
    pub data: Bytes,
    /// What it is.
    pub kind: FileKind,
}

/// An upload in progress (UploadFileStream.ts's `StreamState`).
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub filename: String,
    pub total_chunks: u64,
    pub chunks: BTreeMap<u64, Bytes>,
    pub file_size: Option<u64>,
    pub expected_sha256: Option<String>,
    /// NapCat keeps a file of a known size up to 10 MiB in memory, larger or unknown ones on
    /// disk; only the error text for a missing chunk tells them apart.
    pub in_memory: bool,
}

/// Every file the simulated NapCat can reach.
#[derive(Debug, Clone, Default)]
pub struct Files {
    known: BTreeMap<String, SimFile>,
    temp: BTreeMap<String, Bytes>,
    /// Uploads in progress by stream id.
    pub(crate) uploads: BTreeMap<String, Upload>,
    next_id: u64,
}

impl Files {
    /// The files of the default seed: a text file, an image and a voice message.
    pub fn with_defaults() -> Files {
        let mut files = Files::default();
        let text: String = (1..=120)
            .map(|i| format!("第 {i} 行：所有权、借用与生命周期。\n"))
            .collect();
        files.add("Rust 学习资料.txt", text.into_bytes(), FileKind::File);
        files.add(
            "cat.png",
            pattern(b"\x89PNG\r\n\x1a\n", 2048),
            FileKind::Image {
                width: 64,
                height: 48,
            },
        );
        files.add("hello.amr", pattern(b"#!AMR\n", 4096), FileKind::Record);
        files
    }

    /// Adds a file QQ knows; returns its new file id.
    pub fn add(&mut self, name: &str, data: impl Into<Bytes>, kind: FileKind) -> String {
        self.next_id += 1;
        let file_id = format!("5f1e0000-0000-4000-8000-{:012x}", self.next_id);
        self.known.insert(
            file_id.clone(),
            SimFile {
                file_id: file_id.clone(),
                name: name.to_owned(),
                data: data.into(),
                kind,
            },
        );
        file_id
    }

    /// A file by id, else the first by name (QQ's file search).
    pub fn find(&self, key: &str) -> Option<&SimFile> {
        self.known
            .get(key)
            .or_else(|| self.known.values().find(|f| f.name == key))
    }

    /// Puts a file in NapCat's temp directory; returns its path.
    pub fn put_temp(&mut self, name: &str, data: Bytes) -> String {
        let path = format!("{TEMP_DIR}/{name}");
        self.temp.insert(path.clone(), data);
        path
    }

    /// A file in NapCat's temp directory by path.
    pub fn temp(&self, path: &str) -> Option<&Bytes> {
        self.temp.get(path)
    }

    /// Empties NapCat's temp directory.
    pub fn clean_temp(&mut self) {
        self.temp.clear();
    }
}

/// `len` bytes: `head`, then a repeating byte pattern.
fn pattern(head: &[u8], len: usize) -> Vec<u8> {
    let mut out = head.to_vec();
    out.extend((0..len.saturating_sub(head.len())).map(|i| (i * 31 % 251) as u8));
    out
}

/// Base64 text of `bytes`, as NapCat's `Buffer.toString('base64')` writes it.
pub(crate) fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Bytes of base64 text as Node's `Buffer.from(text, 'base64')` reads it: characters outside
/// the alphabet are skipped and padding is optional, so any text decodes.
pub(crate) fn from_base64(text: &str) -> Bytes {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let kept: String = text
        .chars()
        .take_while(|c| *c != '=')
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        .collect();
    // A lone trailing character carries no whole byte; Node drops it.
    let whole = kept.len() - usize::from(kept.len() % 4 == 1);
    LENIENT
        .decode(&kept[..whole])
        .map(Bytes::from)
        .unwrap_or_default()
}

/// SHA-256 as lowercase hex, as Node's `createHash('sha256').digest('hex')` writes it.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
