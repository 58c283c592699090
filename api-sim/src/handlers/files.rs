//! Group files, media and private files. Follows NapCat's go-cqhttp/*GroupFile*.ts,
//! go-cqhttp/GetGroupRootFiles.ts, GetGroupFilesByFolder.ts, GetGroupFileSystemInfo.ts,
//! UploadGroupFile.ts, UploadPrivateFile.ts, DownloadFile.ts, extends/MoveGroupFile.ts,
//! RenameGroupFile.ts, TransGroupFile.ts, file/GetFile.ts, GetRecord.ts, GetGroupFileUrl.ts
//! and GetPrivateFileUrl.ts (v4.18.19). Where NapCat passes on QQ's answer, the simulator
//! answers as QQ would for success; its refusals carry the simulator's own text.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::files::{FileKind, GroupFileEntry, GroupFs, QQ_FILES_DIR, from_base64};
use crate::groups::unix_now;
use crate::handlers::handler::Handler;
use crate::params::Params;
use crate::state::{Failure, Outcome, State};

pub(super) const HANDLERS: &[(&str, Handler)] = &[
    ("upload_group_file", upload_group_file),
    ("get_group_root_files", get_group_root_files),
    ("get_group_files_by_folder", get_group_files_by_folder),
    ("get_group_file_system_info", get_group_file_system_info),
    ("get_group_file_url", get_group_file_url),
    ("create_group_file_folder", create_group_file_folder),
    ("delete_group_folder", delete_group_folder),
    ("delete_group_file", delete_group_file),
    ("move_group_file", move_group_file),
    ("rename_group_file", rename_group_file),
    ("trans_group_file", trans_group_file),
    ("get_file", get_file),
    ("get_image", get_file),
    ("get_record", get_record),
    ("download_file", download_file),
    ("upload_private_file", upload_private_file),
    ("get_private_file_url", get_private_file_url),
];

fn fail(text: impl Into<String>) -> Failure {
    Failure::Handler(text.into())
}

/// NapCat's text when a file id is none of its own (`FileNapCatOneBotUUID.decode` fails).
const NOT_A_FILE_ID: &str = "real fileUUID not found!";

/// QQ's answer to a group file operation that worked.
fn qq_ok() -> Value {
    json!({"retCode": 0, "retMsg": "ok", "clientWording": ""})
}

/// The files of a group the bot is in (GetGroupFileSystemInfo.ts: `Group not found`; the
/// other actions get QQ's refusal, for which the simulator uses the same text).
fn group_fs<'a>(state: &'a mut State, p: &Params) -> Result<(i64, &'a mut GroupFs), Failure> {
    let id = p.int("group_id")?;
    if !state.groups.contains_key(&id) {
        return Err(fail("Group not found"));
    }
    Ok((id, state.files.groups.entry(id).or_default()))
}

fn file_json(group: i64, f: &GroupFileEntry) -> Value {
    json!({
        "group_id": group, "file_id": f.file_id, "file_name": f.name, "busid": 102,
        "size": f.size, "file_size": f.size, "upload_time": f.upload_time,
        "dead_time": f.dead_time, "modify_time": f.modify_time,
        "download_times": f.download_times, "uploader": f.uploader,
        "uploader_name": f.uploader_name,
    })
}

/// `file_count` as NapCat reads it (`+payload.file_count`, default 50).
fn file_count(p: &Params) -> Result<usize, Failure> {
    Ok(p.opt_int("file_count")?.unwrap_or(50).max(0) as usize)
}

fn get_group_root_files(state: &mut State, p: &Params) -> Outcome {
    let count = file_count(p)?;
    let (group, fs) = group_fs(state, p)?;
    let folders: Vec<Value> = fs
        .folders
        .iter()
        .map(|d| {
            let total = fs.files.iter().filter(|f| f.folder == d.id).count();
            json!({
                "group_id": group, "folder_id": d.id, "folder": d.id, "folder_name": d.name,
                "create_time": d.create_time, "creator": d.creator,
                "creator_name": d.creator_name, "total_file_count": total,
            })
        })
        .take(count)
        .collect();
    let files: Vec<Value> = fs
        .files
        .iter()
        .filter(|f| f.folder == "/")
        .map(|f| file_json(group, f))
        .take(count - folders.len())
        .collect();
    Ok(Some(json!({"files": files, "folders": folders})))
}

fn get_group_files_by_folder(state: &mut State, p: &Params) -> Outcome {
    let count = file_count(p)?;
    // `payload.folder ?? payload.folder_id ?? ''`; QQ lists the root for ''.
    let folder = p.opt_str_or("folder", "folder_id")?.unwrap_or_default();
    let folder = if folder.is_empty() {
        "/".into()
    } else {
        folder
    };
    let (group, fs) = group_fs(state, p)?;
    let files: Vec<Value> = fs
        .files
        .iter()
        .filter(|f| f.folder == folder)
        .map(|f| file_json(group, f))
        .take(count)
        .collect();
    Ok(Some(json!({"files": files, "folders": []})))
}

fn get_group_file_system_info(state: &mut State, p: &Params) -> Outcome {
    let (_, fs) = group_fs(state, p)?;
    let used: u64 = fs.files.iter().map(|f| f.size).sum();
    Ok(Some(json!({
        "file_count": fs.files.len(),
        "limit_count": 10000,
        "used_space": used,
        "total_space": 10u64 * 1024 * 1024 * 1024,
    })))
}

/// The entry of `file_id` in the group, or NapCat's text for an id it cannot read.
fn entry<'a>(fs: &'a mut GroupFs, p: &Params) -> Result<&'a mut GroupFileEntry, Failure> {
    let id = p.str("file_id")?;
    fs.files
        .iter_mut()
        .find(|f| f.file_id == id)
        .ok_or_else(|| fail(NOT_A_FILE_ID))
}

fn get_group_file_url(state: &mut State, p: &Params) -> Outcome {
    let (_, fs) = group_fs(state, p)?;
    let file = entry(fs, p)?;
    Ok(Some(json!({
        "url": format!("https://grouptalk.c2c.qq.com/download?fileid={}", file.file_id)
    })))
}

fn create_group_file_folder(state: &mut State, p: &Params) -> Outcome {
    // `payload.folder_name || payload.name`
    let name = p.str_or("folder_name", "name")?;
    let (self_id, nick) = (state.seed.self_id, state.seed.nickname.clone());
    let id = state.files.new_folder_id();
    let (group, fs) = group_fs(state, p)?;
    if name.is_empty() {
        return Ok(Some(json!({
            "result": {"retCode": -1, "retMsg": "folder name is empty", "clientWording": "文件夹名不能为空"},
            "groupItem": [],
        })));
    }
    let now = unix_now();
    fs.folders.push(crate::files::Folder {
        id: id.clone(),
        name: name.clone(),
        create_time: now,
        creator: self_id,
        creator_name: nick.clone(),
    });
    Ok(Some(json!({
        "result": qq_ok(),
        "groupItem": {"peerId": group.to_string(), "type": 2, "folderInfo": {
            "folderId": id, "parentFolderId": "/", "folderName": name, "createTime": now,
            "modifyTime": now, "createUin": self_id.to_string(), "creatorName": nick,
            "totalFileCount": 0, "modifyUin": self_id.to_string(), "modifyName": nick,
            "usedSpace": "0",
        }},
    })))
}

fn delete_group_folder(state: &mut State, p: &Params) -> Outcome {
    let folder = p.opt_str_or("folder", "folder_id")?.unwrap_or_default();
    let (_, fs) = group_fs(state, p)?;
    let Some(at) = fs.folders.iter().position(|d| d.id == folder) else {
        return Ok(Some(
            json!({"retCode": -1, "retMsg": "folder not found", "clientWording": "文件夹不存在"}),
        ));
    };
    fs.folders.remove(at);
    let gone: Vec<String> = fs
        .files
        .iter()
        .filter(|f| f.folder == folder)
        .map(|f| f.file_id.clone())
        .collect();
    fs.files.retain(|f| f.folder != folder);
    for id in gone {
        state.files.forget(&id);
    }
    Ok(Some(qq_ok()))
}

fn delete_group_file(state: &mut State, p: &Params) -> Outcome {
    let id = p.str("file_id")?;
    let (_, fs) = group_fs(state, p)?;
    let Some(at) = fs.files.iter().position(|f| f.file_id == id) else {
        // DeleteGroupFile.ts: an id that is not NapCat's own.
        return Err(fail("Invalid file_id"));
    };
    let file = fs.files.remove(at);
    state.files.forget(&file.file_id);
    Ok(Some(json!({
        "result": 0, "errMsg": "",
        "transGroupFileResult": {"result": qq_ok(), "successFileIdList": [file.qq_id], "failFileIdList": []},
    })))
}

fn move_group_file(state: &mut State, p: &Params) -> Outcome {
    let from = p.str("current_parent_directory")?;
    let to = p.str("target_parent_directory")?;
    let (_, fs) = group_fs(state, p)?;
    let known = |dir: &str| dir == "/" || fs.folders.iter().any(|d| d.id == dir);
    if !known(&to) {
        return Err(fail(format!("目标文件夹 {to} 不存在")));
    }
    let file = entry(fs, p)?;
    if file.folder != from {
        return Err(fail(format!("文件不在文件夹 {from} 中")));
    }
    file.folder = to;
    file.modify_time = unix_now();
    Ok(Some(json!({"ok": true})))
}

fn rename_group_file(state: &mut State, p: &Params) -> Outcome {
    let name = p.str("new_name")?;
    let (_, fs) = group_fs(state, p)?;
    let file = entry(fs, p)?;
    file.name = name.clone();
    file.modify_time = unix_now();
    let id = file.file_id.clone();
    if let Some(known) = state.files.known_mut(&id) {
        known.name = name;
    }
    Ok(Some(json!({"ok": true})))
}

fn trans_group_file(state: &mut State, p: &Params) -> Outcome {
    let (_, fs) = group_fs(state, p)?;
    entry(fs, p)?.dead_time = 0;
    Ok(Some(json!({"ok": true})))
}

/// The bytes of a `file` parameter as `uriToLocalFile` reads it: a path on NapCat's machine
/// (or `file://`), `base64://`, or a URL.
fn read_uri(state: &State, uri: &str) -> Result<Bytes, Failure> {
    if let Some(b64) = uri.strip_prefix("base64://") {
        return Ok(from_base64(b64));
    }
    if uri.starts_with("http://") || uri.starts_with("https://") {
        return fetch(state, uri);
    }
    state
        .files
        .local(uri)
        .ok_or_else(|| fail(format!("识别URL失败, uri= {uri}")))
}

/// A URL from the simulated internet.
fn fetch(state: &State, url: &str) -> Result<Bytes, Failure> {
    state
        .files
        .urls
        .get(url)
        .cloned()
        .ok_or_else(|| fail(format!("下载文件失败: {url} 无法访问")))
}

fn upload_group_file(state: &mut State, p: &Params) -> Outcome {
    group_fs(state, p)?;
    let data = read_uri(state, &p.str("file")?)?;
    let name = p.str("name")?;
    let folder = p
        .opt_str_or("folder", "folder_id")?
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "/".into());
    let (self_id, nick) = (state.seed.self_id, state.seed.nickname.clone());
    let id = state.files.add(&name, data, FileKind::File);
    let entry = state
        .files
        .group_entry(&id, &folder, self_id, &nick, unix_now());
    let qq_id = entry.qq_id.clone();
    let (_, fs) = group_fs(state, p)?;
    if folder != "/" && !fs.folders.iter().any(|d| d.id == folder) {
        return Err(fail(format!("目标文件夹 {folder} 不存在")));
    }
    fs.files.push(entry);
    Ok(Some(json!({ "file_id": qq_id })))
}

fn upload_private_file(state: &mut State, p: &Params) -> Outcome {
    let data = read_uri(state, &p.str("file")?)?;
    let name = p.str("name")?;
    p.int("user_id")?;
    let id = state.files.add(&name, data, FileKind::File);
    let qq_id = format!("/{}", id);
    Ok(Some(json!({ "file_id": qq_id })))
}

fn get_private_file_url(state: &mut State, p: &Params) -> Outcome {
    let id = p.str("file_id")?;
    if !state.files.private.contains(&id) {
        return Err(fail(NOT_A_FILE_ID));
    }
    Ok(Some(
        json!({"url": format!("https://c2c.qq.com/download?fileid={id}")}),
    ))
}

/// GetFile.ts (and GetImage.ts): by id, else QQ's search by name; downloaded to NapCat's
/// machine. `base64` only with NapCat's `enableLocalFile2Url`, off here as by default.
fn get_file(state: &mut State, p: &Params) -> Outcome {
    let key = p.str_or("file", "file_id")?;
    let file = state
        .files
        .find(&key)
        .ok_or_else(|| fail("file not found"))?;
    let path = format!("{QQ_FILES_DIR}/{}", file.name);
    Ok(Some(json!({
        "file": path, "url": path, "file_size": file.data.len().to_string(),
        "file_name": file.name,
    })))
}

/// GetRecord.ts: the file converted to `out_format` beside it, its content as base64. The
/// simulator does not transcode: the content is the original's.
fn get_record(state: &mut State, p: &Params) -> Outcome {
    let mut res = get_file(state, p)?.unwrap_or_default();
    let format = p.str("out_format")?;
    if !crate::handlers::streams::OUT_FORMATS.contains(&format.as_str()) {
        return Err(fail("转换失败 out_format 字段可能格式不正确"));
    }
    let name = res["file_name"].as_str().unwrap_or_default().to_owned();
    let data = state
        .files
        .find(&name)
        .map(|f| f.data.clone())
        .unwrap_or_default();
    let converted = format!("{}.{format}", res["file"].as_str().unwrap_or_default());
    res["file"] = json!(converted);
    res["url"] = json!(converted);
    res["base64"] = json!(crate::files::base64(&data));
    Ok(Some(res))
}

/// DownloadFile.ts: into the temp directory, named `name` or by the content's MD5.
fn download_file(state: &mut State, p: &Params) -> Outcome {
    let data = match (p.opt_str("base64")?, p.opt_str("url")?) {
        (Some(b64), _) if !b64.is_empty() => from_base64(&b64),
        (_, Some(url)) if !url.is_empty() => fetch(state, &url)?,
        _ => return Err(fail("不存在任何文件, 无法下载")),
    };
    let name = match p.opt_str("name")?.filter(|n| !n.is_empty()) {
        Some(n) => n,
        None => {
            use md5::Digest;
            md5::Md5::digest(&data)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }
    };
    let path = state.files.put_temp(&name, data);
    Ok(Some(json!({ "file": path })))
}
