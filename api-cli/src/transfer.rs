//! `napcat download` and `napcat upload`: whole files over NapCat's stream actions, with a
//! progress bar on a terminal.

use std::path::{Path, PathBuf};

use api_core::{Client, FileDownload, Progress};
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on stderr (drawn only on a terminal) for `total` bytes, when known.
fn bar(total: Option<u64>, what: &str) -> ProgressBar {
    let bar = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

fn advance(bar: &ProgressBar, p: Progress) {
    if let Some(total) = p.total {
        bar.set_length(total);
    }
    bar.set_position(p.bytes);
}

/// Downloads `file` (a file id, or a name QQ knows) into `output`, or into a file named as
/// NapCat names it in the current directory.
pub async fn download(
    api: &Client,
    file: &str,
    output: Option<&Path>,
    chunk_size: Option<u64>,
) -> Result<(), String> {
    let mut call = api.download_file_stream(file);
    if let Some(n) = chunk_size {
        call = call.chunk_size(n);
    }
    let stream = call.await.map_err(|e| e.to_string())?;
    let download = FileDownload::new(stream).await.map_err(|e| e.to_string())?;
    let target = match output {
        Some(p) => p.to_owned(),
        None => default_name(&download.info().file_name, file),
    };
    let bar = bar(download.progress().total, &target.display().to_string());
    let saved = download
        .save_with(&target, |p| advance(&bar, p))
        .await
        .map_err(|e| {
            bar.abandon();
            format!(
                "the download stopped after {} bytes: {e}; nothing was written to {}",
                bar.position(),
                target.display()
            )
        })?;
    bar.finish_and_clear();
    println!("saved {} ({} bytes)", saved.path.display(), saved.bytes);
    Ok(())
}

/// NapCat's name for the file, stripped of any directories; else the name asked for.
fn default_name(napcat_name: &str, asked: &str) -> PathBuf {
    let name = Path::new(napcat_name)
        .file_name()
        .or_else(|| Path::new(asked).file_name())
        .map_or_else(|| "download".into(), |n| n.to_owned());
    PathBuf::from(name)
}

/// Uploads the local file `path` to NapCat's machine; prints where it landed.
pub async fn upload(
    api: &Client,
    path: &Path,
    name: Option<&str>,
    chunk_size: Option<usize>,
) -> Result<(), String> {
    let total = std::fs::metadata(path)
        .map_err(|e| format!("cannot read file {}: {e}", path.display()))?
        .len();
    let bar = bar(Some(total), &path.display().to_string());
    let progress = bar.clone();
    let mut up = api.upload(path).on_progress(move |p| advance(&progress, p));
    if let Some(name) = name {
        up = up.name(name);
    }
    if let Some(n) = chunk_size {
        up = up.chunk_size(n);
    }
    let done = up.await.map_err(|e| {
        bar.abandon();
        format!(
            "the upload stopped after {} of {total} bytes: {e}",
            bar.position()
        )
    })?;
    bar.finish_and_clear();
    println!("{}", done.path);
    eprintln!("{} bytes, SHA-256 {}", done.size, done.sha256);
    Ok(())
}
