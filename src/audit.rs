//! The audit log: one JSON line per change yun made (or tried to make) to a hypervisor or a
//! cloud, in `audit.log` in the state directory.
//!
//! Every mutation goes through the worker's one mutation path, which asks [`AuditLog::ready`]
//! before it runs the change and [`AuditLog::append`] after. The file is private (0600) and
//! rotated by size; `yun audit` prints it and `yun audit --as-script` turns the successful
//! changes back into the commands they stand for.
//!
//! Nothing secret is written: records hold what the user asked for (names, sizes, flavors),
//! never passwords, tokens or keys, and user data only as its size and SHA-256.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::logging::open_private;

/// The log file's name in the state directory.
pub const FILE_NAME: &str = "audit.log";
/// Size at which the file is rotated to `audit.log.1`.
pub const ROTATE_BYTES: u64 = 4 * 1024 * 1024;
/// Rotated files kept beside the current one (`audit.log.1` … `audit.log.4`).
pub const KEEP_ROTATED: usize = 4;

/// Keys of parameters whose values are never written, whatever action carries them.
const SECRET_KEYS: [&str; 6] = [
    "password",
    "token",
    "secret",
    "private_key",
    "admin_pass",
    "adminpass",
];

/// How a change ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Error,
}

/// One line of the audit log: one target of one change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When the change started, RFC 3339 in UTC (`2026-12-01T23:59:01Z`).
    pub time: String,
    /// The local user who ran yun.
    pub user: String,
    /// The libvirt URI, or `cloud/region/project` on a cloud.
    pub connection: String,
    /// What kind of thing was changed: `instance`, `volume`, …
    pub kind: String,
    pub id: String,
    pub name: String,
    /// The action's stable id: `pause`, `delete`, `create`, `edit`, …
    pub action: String,
    /// What the user chose (a new name, a size, a flavor), secrets removed.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The equivalent command (`virsh …`, `openstack …`).
    pub command: String,
    pub result: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
    /// Shared by the records of one change made to several targets at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

/// What a change is about, known before it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub kind: String,
    pub id: String,
    pub name: String,
    pub action: String,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub command: String,
    pub batch: Option<String>,
}

impl Change {
    /// The record of this change, begun at `started` and ended with `result` after `took`.
    pub fn record(
        &self,
        connection: &str,
        started: SystemTime,
        took: Duration,
        result: Result<(), String>,
    ) -> AuditRecord {
        let (result, error) = match result {
            Ok(()) => (Outcome::Ok, None),
            Err(e) => (Outcome::Error, Some(e)),
        };
        AuditRecord {
            time: rfc3339(started),
            user: local_user(),
            connection: connection.to_string(),
            kind: self.kind.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            action: self.action.clone(),
            params: without_secrets(&self.params),
            command: self.command.clone(),
            result,
            error,
            duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            batch: self.batch.clone(),
        }
    }
}

/// `params` with every value under a secret-looking key replaced, at any depth.
pub fn without_secrets(
    params: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    params
        .iter()
        .map(|(k, v)| {
            let lower = k.to_ascii_lowercase();
            let value = if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
                serde_json::Value::String("(not recorded)".into())
            } else if let serde_json::Value::Object(inner) = v {
                serde_json::Value::Object(without_secrets(inner))
            } else {
                v.clone()
            };
            (k.clone(), value)
        })
        .collect()
}

/// How user data is recorded: its size, its SHA-256 and the file it came from, never its text.
pub fn user_data_summary(content: &[u8], file: Option<&Path>) -> serde_json::Value {
    let digest = Sha256::digest(content);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let mut summary = serde_json::Map::new();
    summary.insert("bytes".into(), content.len().into());
    summary.insert("sha256".into(), hex.into());
    if let Some(file) = file {
        summary.insert("file".into(), file.display().to_string().into());
    }
    serde_json::Value::Object(summary)
}

/// Why the audit log could not be written.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("the audit log {path} cannot be written: {reason}")]
pub struct AuditError {
    pub path: String,
    pub reason: String,
}

/// The audit log of this run. Cheap to clone; appends from several tasks are serialised.
#[derive(Clone, Debug)]
pub struct AuditLog {
    path: PathBuf,
    /// A change is refused when the log cannot be written (`audit.required`, on by default).
    required: bool,
    rotate_bytes: u64,
    lock: Arc<Mutex<()>>,
}

impl AuditLog {
    /// The log in `state_dir`.
    pub fn in_dir(state_dir: &Path, required: bool) -> Self {
        Self::at(state_dir.join(FILE_NAME), required, ROTATE_BYTES)
    }

    pub fn at(path: PathBuf, required: bool, rotate_bytes: u64) -> Self {
        Self {
            path,
            required,
            rotate_bytes,
            lock: Arc::new(Mutex::new(())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn required(&self) -> bool {
        self.required
    }

    fn error(&self, e: &io::Error) -> AuditError {
        AuditError {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        }
    }

    fn open(&self) -> io::Result<File> {
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir)?;
        }
        open_private(&self.path)
    }

    /// Whether a record could be written now: the directory and the file open for appending.
    /// Asked before a change runs, so a change that could not be recorded is not made.
    pub fn ready(&self) -> Result<(), AuditError> {
        self.open().map(drop).map_err(|e| self.error(&e))
    }

    /// Append one record as one line (one `write` call, so concurrent yun processes do not
    /// interleave lines), rotating the file first when it has grown past its size.
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_string(record).map_err(|e| AuditError {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        line.push('\n');
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.rotate_if_full().map_err(|e| self.error(&e))?;
        let mut file = self.open().map_err(|e| self.error(&e))?;
        file.write_all(line.as_bytes()).map_err(|e| self.error(&e))
    }

    fn rotate_if_full(&self) -> io::Result<()> {
        let size = match fs::metadata(&self.path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if size < self.rotate_bytes {
            return Ok(());
        }
        for n in (1..KEEP_ROTATED).rev() {
            let from = rotated(&self.path, n);
            if from.exists() {
                fs::rename(&from, rotated(&self.path, n + 1))?;
            }
        }
        fs::rename(&self.path, rotated(&self.path, 1))
    }
}

/// `audit.log.N`.
fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Every record of the log at `path` and its rotated files, newest first, and how many lines
/// could not be read (a line cut short by a crash, a hand edit).
pub fn read(path: &Path) -> io::Result<(Vec<AuditRecord>, usize)> {
    let mut records = Vec::new();
    let mut unreadable = 0;
    let mut files: Vec<PathBuf> = (1..=KEEP_ROTATED).rev().map(|n| rotated(path, n)).collect();
    files.push(path.to_path_buf());
    for file in files {
        let reader = match File::open(&file) {
            Ok(f) => BufReader::new(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for line in reader.lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<AuditRecord>(&line) {
                Ok(r) => records.push(r),
                Err(_) => unreadable += 1,
            }
        }
    }
    records.reverse();
    Ok((records, unreadable))
}

/// The successful changes of `records` (given newest first) as a shell script that repeats
/// them, oldest first: a runbook to make the same changes elsewhere.
pub fn as_script(records: &[AuditRecord]) -> String {
    let mut out = String::from("#!/bin/sh\n# Changes recorded by yun, oldest first.\nset -e\n");
    for r in records.iter().rev().filter(|r| r.result == Outcome::Ok) {
        out.push_str(&format!(
            "\n# {} {} {} {} ({})\n",
            r.time,
            r.user,
            r.action,
            crate::format::escape_controls(&r.name),
            crate::format::escape_controls(&r.connection)
        ));
        if let Some(serde_json::Value::Object(ud)) = r.params.get("user_data") {
            let file = ud.get("file").and_then(|v| v.as_str()).unwrap_or("?");
            let sha = ud.get("sha256").and_then(|v| v.as_str()).unwrap_or("?");
            out.push_str(&format!(
                "# user data from {}, SHA-256 {sha}\n",
                crate::format::escape_controls(file)
            ));
        }
        out.push_str(&crate::format::escape_controls(&r.command));
        out.push('\n');
    }
    out
}

/// `yun audit`: the records (newest first) as JSON lines' array, an aligned table or CSV.
pub fn render(records: &[AuditRecord], output: crate::cli::OutputFormat) -> String {
    use crate::cli::OutputFormat;
    if output == OutputFormat::Json {
        let mut text = serde_json::to_string_pretty(records).unwrap_or_else(|_| "[]".into());
        text.push('\n');
        return text;
    }
    let header: Vec<String> = [
        "Time",
        "User",
        "Connection",
        "Kind",
        "Name",
        "Action",
        "Result",
        "ms",
        "Command",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let result = match (&r.result, &r.error) {
                (Outcome::Ok, _) => "ok".to_string(),
                (Outcome::Error, Some(e)) => format!("error: {e}"),
                (Outcome::Error, None) => "error".to_string(),
            };
            vec![
                r.time.clone(),
                r.user.clone(),
                r.connection.clone(),
                r.kind.clone(),
                r.name.clone(),
                r.action.clone(),
                result,
                r.duration_ms.to_string(),
                r.command.clone(),
            ]
        })
        .collect();
    crate::list::text_rows(&header, &rows, output)
}

/// `time` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    crate::format::epoch(secs).map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |s| {
            // `epoch` writes `YYYY-MM-DD HH:MM:SS UTC`.
            let s = s.trim_end_matches(" UTC");
            format!("{}Z", s.replacen(' ', "T", 1))
        },
    )
}

/// The local user's name: `$USER`, else the name `/etc/passwd` gives the process's uid, else
/// the uid itself.
pub fn local_user() -> String {
    use std::os::unix::fs::MetadataExt;
    if let Some(user) = std::env::var_os("USER").or_else(|| std::env::var_os("LOGNAME"))
        && !user.is_empty()
    {
        return user.to_string_lossy().into_owned();
    }
    let Ok(uid) = fs::metadata("/proc/self").map(|m| m.uid()) else {
        return "unknown".into();
    };
    fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                let id = fields.nth(1)?;
                (id.parse::<u32>().ok()? == uid).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn change(action: &str) -> Change {
        let mut params = serde_json::Map::new();
        params.insert("name".into(), "new-name".into());
        params.insert("admin_password".into(), "hunter2".into());
        Change {
            kind: "instance".into(),
            id: "abc".into(),
            name: "web-01".into(),
            action: action.into(),
            params,
            command: format!("virsh -c test:///default {action} web-01"),
            batch: None,
        }
    }

    #[test]
    fn records_are_private_lines_newest_first_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::in_dir(&dir.path().join("state"), true);
        log.ready().unwrap();
        let t = UNIX_EPOCH + Duration::from_secs(1_796_169_600);
        for action in ["pause", "resume"] {
            let r = change(action).record("test:///default", t, Duration::from_millis(12), Ok(()));
            log.append(&r).unwrap();
        }
        let mode = fs::metadata(log.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(!text.contains("hunter2"));
        let (records, bad) = read(log.path()).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(records[0].action, "resume");
        assert_eq!(records[1].time, "2026-12-02T00:00:00Z");
        assert_eq!(records[1].duration_ms, 12);
    }

    #[test]
    fn rotation_keeps_a_few_files_and_reading_spans_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::at(dir.path().join(FILE_NAME), true, 200);
        for i in 0..40 {
            let mut c = change("pause");
            c.name = format!("vm-{i}");
            log.append(&c.record("x", SystemTime::now(), Duration::ZERO, Ok(())))
                .unwrap();
        }
        assert!(rotated(log.path(), KEEP_ROTATED).exists());
        assert!(!rotated(log.path(), KEEP_ROTATED + 1).exists());
        let (records, _) = read(log.path()).unwrap();
        assert_eq!(records[0].name, "vm-39");
        // Newest first, without gaps, back to whatever the oldest kept file holds.
        let numbers: Vec<usize> = records
            .iter()
            .map(|r| r.name.trim_start_matches("vm-").parse().unwrap())
            .collect();
        assert!(numbers.windows(2).all(|w| w[0] == w[1] + 1));
        assert!(numbers.len() < 40);
    }

    #[test]
    fn an_unwritable_directory_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-dir");
        fs::write(&blocker, "").unwrap();
        let log = AuditLog::in_dir(&blocker, true);
        let err = log.ready().unwrap_err();
        assert!(err.to_string().contains("not-a-dir"), "{err}");
    }

    #[test]
    fn a_line_cut_short_is_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::in_dir(dir.path(), true);
        log.append(&change("pause").record("x", SystemTime::now(), Duration::ZERO, Ok(())))
            .unwrap();
        let mut f = open_private(log.path()).unwrap();
        f.write_all(b"{\"time\":\"2026").unwrap();
        let (records, bad) = read(log.path()).unwrap();
        assert_eq!((records.len(), bad), (1, 1));
    }

    #[test]
    fn the_script_repeats_successful_changes_oldest_first() {
        let t = SystemTime::now();
        let ok1 = change("pause").record("c", t, Duration::ZERO, Ok(()));
        let failed = change("reboot").record("c", t, Duration::ZERO, Err("no".into()));
        let ok2 = change("resume").record("c", t, Duration::ZERO, Ok(()));
        // Newest first, as `read` returns them.
        let script = as_script(&[ok2, failed, ok1]);
        let commands: Vec<&str> = script.lines().filter(|l| l.starts_with("virsh")).collect();
        assert_eq!(
            commands,
            [
                "virsh -c test:///default pause web-01",
                "virsh -c test:///default resume web-01"
            ]
        );
    }

    #[test]
    fn user_data_is_summarised_never_copied() {
        let v = user_data_summary(b"#cloud-config\npassword: x\n", Some(Path::new("ud.yaml")));
        let text = v.to_string();
        assert!(!text.contains("cloud-config"));
        assert!(text.contains("\"bytes\":26"));
        assert!(text.contains("ud.yaml"));
    }
}
