//! Logs go to a file in the state directory, never to the screen.

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The log writer's guard: dropping it flushes what is queued. Kept here rather than on
/// `main`'s stack so the panic hook, which ends the process without unwinding, can flush too.
static GUARD: Mutex<Option<WorkerGuard>> = Mutex::new(None);

/// Flushes the log when dropped (at the end of `main`).
pub struct Flush;

impl Drop for Flush {
    fn drop(&mut self) {
        flush_for_exit();
    }
}

/// Write out everything logged so far and stop the writer; later lines are lost. For the last
/// moments of the process (normal exit or the panic hook).
pub fn flush_for_exit() {
    let guard = match GUARD.lock() {
        Ok(mut g) => g.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    };
    drop(guard);
}

/// Open (or create) a file only its owner may read: logs can name hosts, projects and users.
/// An existing file made by an older version with a wider mode is narrowed.
pub fn open_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Start logging to `<dir>/yun.log` at the level from `YUN_LOG` (default `info`). Failing to
/// create the file leaves logging off rather than stopping yun.
pub fn init(dir: &Path) -> Option<Flush> {
    std::fs::create_dir_all(dir).ok()?;
    let file = open_private(&log_file(dir)).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("YUN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    match GUARD.lock() {
        Ok(mut g) => *g = Some(guard),
        Err(poisoned) => *poisoned.into_inner() = Some(guard),
    }
    Some(Flush)
}

/// Whether `init` succeeded and the log is still open.
pub fn active() -> bool {
    match GUARD.lock() {
        Ok(g) => g.is_some(),
        Err(poisoned) => poisoned.into_inner().is_some(),
    }
}

pub fn log_file(dir: &Path) -> PathBuf {
    dir.join("yun.log")
}
