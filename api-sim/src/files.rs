//! The files NapCat can reach: files QQ knows (received files, images and voice, group
//! files), which NapCat's stream downloads find by file id or by name (its
//! `BaseDownloadStream.resolveDownload`: a file UUID, else QQ's file search), and NapCat's
//! temp directory (`NapCatTempPath`), where completed stream uploads land.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// What kind of file a seeded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeedFileKind {
    /// Any file.
    #[default]
    File,
    /// An image (give its `width` and `height`).
    Image,
    /// A voice message.
    Record,
}

/// A file the account starts with (`Seed::files`): QQ knows it (downloads find it by name or
/// id), and with `group_id` it is among that group's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// Its name.
    pub name: String,
    /// Its content: text, or `base64://…`.
    #[serde(default)]
    pub content: String,
    /// `file` (the default), `image` or `record`.
    #[serde(default)]
    pub kind: SeedFileKind,
    /// An image's width in pixels.
    #[serde(default)]
    pub width: u32,
    /// An image's height in pixels.
    #[serde(default)]
    pub height: u32,
    /// The group whose files hold it; none for a file QQ only knows.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// The name of the group folder it is in, made when missing; `/` (the default) for the
    /// root.
    #[serde(default = "root_folder")]
    pub folder: String,
    /// Who uploaded it to the group (a member); the bot when not given.
    #[serde(default)]
    pub uploader: Option<i64>,
}

fn root_folder() -> String {
    "/".into()
}

impl SeedFile {
    /// Its bytes: `base64://…` decoded, else the text.
    pub fn bytes(&self) -> Bytes {
        match self.content.strip_prefix("base64://") {
            Some(b64) => from_base64(b64),
            None => Bytes::from(self.content.clone()),
        }
    }
}

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

/// Where NapCat puts a file of QQ's it downloaded for `get_file` and kin, as the simulator
/// names it.
pub const QQ_FILES_DIR: &str = "/napcat/qq-files";

/// A folder of a group's files.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    pub id: String,
    pub name: String,
    pub create_time: i64,
    pub creator: i64,
    pub creator_name: String,
}

/// A file among a group's files; its bytes are in the known files under `file_id`.
#[derive(Debug, Clone)]
pub(crate) struct GroupFileEntry {
    /// NapCat's id for it (what listings give and the other actions take).
    pub file_id: String,
    /// QQ's own id for it (what uploading returns).
    pub qq_id: String,
    /// The folder it is in; `/` is the root.
    pub folder: String,
    pub name: String,
    pub size: u64,
    pub upload_time: i64,
    pub dead_time: i64,
    pub modify_time: i64,
    pub download_times: i64,
    pub uploader: i64,
    pub uploader_name: String,
}

/// One group's files.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupFs {
    pub folders: Vec<Folder>,
    pub files: Vec<GroupFileEntry>,
}

/// Every file the simulated NapCat can reach.
#[derive(Debug, Clone, Default)]
pub struct Files {
    known: BTreeMap<String, SimFile>,
    temp: BTreeMap<String, Bytes>,
    /// Files friends sent, by file id (what `get_private_file_url` takes).
    pub(crate) private: std::collections::BTreeSet<String>,
    /// Groups' files by group number.
    pub(crate) groups: BTreeMap<i64, GroupFs>,
    /// What the simulated internet serves, by URL.
    pub(crate) urls: BTreeMap<String, Bytes>,
    /// Uploads in progress by stream id.
    pub(crate) uploads: BTreeMap<String, Upload>,
    next_id: u64,
}

impl Files {
    /// The files of the default seed: a text file that is also a file of group 100200, an
    /// image, a voice message, a file from friend 123456, a folder `课件` in group 100200 with
    /// one file, and `https://example.com/logo.png` on the simulated internet.
    pub fn with_defaults() -> Files {
        let mut files = Files::default();
        let text: String = (1..=120)
            .map(|i| format!("第 {i} 行：所有权、借用与生命周期。\n"))
            .collect();
        let notes = files.add("Rust 学习资料.txt", text.into_bytes(), FileKind::File);
        files.add(
            "cat.png",
            pattern(b"\x89PNG\r\n\x1a\n", 2048),
            FileKind::Image {
                width: 64,
                height: 48,
            },
        );
        files.add("hello.amr", pattern(b"#!AMR\n", 4096), FileKind::Record);
        let photos = files.add("旅行照片.zip", pattern(b"PK\x03\x04", 8192), FileKind::File);
        files.private.insert(photos);
        let lesson = files.add("第一课.pdf", pattern(b"%PDF-1.7\n", 3000), FileKind::File);
        let group = files.groups.entry(100200).or_default();
        let folder = "/b7c1e0a2-0000-4000-8000-000000000001".to_owned();
        group.folders.push(Folder {
            id: folder.clone(),
            name: "课件".into(),
            create_time: 1_764_140_000,
            creator: 10001,
            creator_name: "NapCat 测试号".into(),
        });
        for (id, dir, uploader, name) in [
            (notes, "/", 123456, "张三"),
            (lesson, folder.as_str(), 10001, "NapCat 测试号"),
        ] {
            let entry = files.group_entry(&id, dir, uploader, name, 1_764_150_000);
            files.groups.entry(100200).or_default().files.push(entry);
        }
        files.urls.insert(
            "https://example.com/logo.png".into(),
            pattern(b"\x89PNG\r\n\x1a\n", 1024).into(),
        );
        files
    }

    /// These files with a seed's own (`Seed::files`) added, each group file in its folder
    /// (made when missing, by its uploader, `self_id` when none is named) at the seed's time;
    /// `nickname(group, user)` names the uploader.
    pub(crate) fn with_seed_files(
        mut self,
        files: &[SeedFile],
        self_id: i64,
        nickname: impl Fn(i64, i64) -> String,
    ) -> Files {
        const SEEDED: i64 = 1_764_150_000;
        for file in files {
            let kind = match file.kind {
                SeedFileKind::File => FileKind::File,
                SeedFileKind::Image => FileKind::Image {
                    width: file.width,
                    height: file.height,
                },
                SeedFileKind::Record => FileKind::Record,
            };
            let id = self.add(&file.name, file.bytes(), kind);
            let Some(group_id) = file.group_id else {
                continue;
            };
            let uploader = file.uploader.unwrap_or(self_id);
            let uploader_name = nickname(group_id, uploader);
            let folder = if file.folder == "/" {
                "/".to_owned()
            } else {
                self.folder_named(group_id, &file.folder, uploader, &uploader_name, SEEDED)
            };
            let entry = self.group_entry(&id, &folder, uploader, &uploader_name, SEEDED);
            self.groups.entry(group_id).or_default().files.push(entry);
        }
        self
    }

    /// The id of group `group_id`'s folder named `name`, made by `creator` when missing.
    fn folder_named(
        &mut self,
        group_id: i64,
        name: &str,
        creator: i64,
        creator_name: &str,
        time: i64,
    ) -> String {
        let found = self
            .groups
            .get(&group_id)
            .and_then(|g| g.folders.iter().find(|f| f.name == name))
            .map(|f| f.id.clone());
        if let Some(id) = found {
            return id;
        }
        let id = self.new_folder_id();
        self.groups
            .entry(group_id)
            .or_default()
            .folders
            .push(Folder {
                id: id.clone(),
                name: name.to_owned(),
                create_time: time,
                creator,
                creator_name: creator_name.to_owned(),
            });
        id
    }

    /// A group file entry for the known file `file_id`, put in `folder`.
    pub(crate) fn group_entry(
        &mut self,
        file_id: &str,
        folder: &str,
        uploader: i64,
        uploader_name: &str,
        time: i64,
    ) -> GroupFileEntry {
        self.next_id += 1;
        let file = &self.known[file_id];
        GroupFileEntry {
            file_id: file_id.to_owned(),
            qq_id: format!("/4c2b0000-0000-4000-8000-{:012x}", self.next_id),
            folder: folder.to_owned(),
            name: file.name.clone(),
            size: file.data.len() as u64,
            upload_time: time,
            dead_time: 0,
            modify_time: time,
            download_times: 0,
            uploader,
            uploader_name: uploader_name.to_owned(),
        }
    }

    /// A new folder id.
    pub(crate) fn new_folder_id(&mut self) -> String {
        self.next_id += 1;
        format!("/b7c1e0a2-0000-4000-8000-{:012x}", self.next_id)
    }

    /// A known file by id, for changes (a group file renamed).
    pub(crate) fn known_mut(&mut self, file_id: &str) -> Option<&mut SimFile> {
        self.known.get_mut(file_id)
    }

    /// Forgets a known file.
    pub(crate) fn forget(&mut self, file_id: &str) {
        self.known.remove(file_id);
    }

    /// A file on NapCat's machine by path: the temp directory, or where it put a file of
    /// QQ's it downloaded.
    pub(crate) fn local(&self, path: &str) -> Option<Bytes> {
        let path = path.strip_prefix("file://").unwrap_or(path);
        if let Some(b) = self.temp.get(path) {
            return Some(b.clone());
        }
        let name = path.strip_prefix(QQ_FILES_DIR)?.strip_prefix('/')?;
        self.known
            .values()
            .find(|f| f.name == name)
            .map(|f| f.data.clone())
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
