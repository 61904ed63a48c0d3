//! The panic hook, in a child process of this test binary (it ends the process): a panic on a
//! UI or worker thread puts the real stderr back, writes the report into yun.log and prints one
//! line saying where it is; a panic on a libvirt connection thread is logged and unwinds to the
//! thread's `catch_unwind`, and the process goes on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const DIR: &str = "YUN_PANIC_TEST_DIR";

/// Runs the ignored test `name` of this binary as a child with `dir` as its state directory.
fn child(name: &str, dir: &Path) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "--nocapture",
            "--test-threads=1",
            name,
        ])
        .env(DIR, dir)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

/// What the binary does before the console: log to yun.log, install the hook, send fd 2 to
/// libvirt.log.
fn set_up() -> (std::path::PathBuf, Option<yun::stderr::StderrRedirect>) {
    let dir = std::path::PathBuf::from(std::env::var_os(DIR).expect("run by its parent test"));
    std::mem::forget(yun::logging::init(&dir));
    yun::terminal::install_panic_hook(yun::logging::log_file(&dir));
    let quiet = yun::stderr::StderrRedirect::to_file(&dir.join("libvirt.log"));
    assert!(quiet.is_some());
    (dir, quiet)
}

#[test]
#[ignore = "run as a child by panic_on_the_ui_thread_ends_yun_with_one_line_and_the_report_in_the_log"]
fn child_panics_on_its_own_thread() {
    let _quiet = set_up();
    panic!("boom \u{1b}[2J");
}

#[test]
#[ignore = "run as a child by a_panic_in_a_libvirt_job_unwinds_to_its_catch_unwind"]
fn child_panics_on_a_libvirt_thread() {
    let (_dir, quiet) = set_up();
    let caught = std::thread::Builder::new()
        .name("libvirt".into())
        .spawn(|| std::panic::catch_unwind(|| panic!("inside a job")).is_err())
        .unwrap()
        .join()
        .unwrap();
    drop(quiet);
    yun::logging::flush_for_exit();
    println!("CAUGHT:{caught}");
}

#[test]
fn panic_on_the_ui_thread_ends_yun_with_one_line_and_the_report_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = child("child_panics_on_its_own_thread", dir.path());
    assert_eq!(out.status.code(), Some(101));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let log = dir.path().join("yun.log");
    assert_eq!(lines.len(), 1, "{stderr}");
    let place = lines[0]
        .strip_prefix("yun: internal error at ")
        .and_then(|rest| {
            rest.strip_suffix(&format!(
                ": boom \\e[2J; the report is in {}",
                log.display()
            ))
        })
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(place.starts_with("tests/panic_hook.rs:"), "{place}");
    let report = std::fs::read_to_string(&log).unwrap();
    // The log writer escapes the control characters too.
    assert!(
        report.contains("panic on thread `child_panics_on_its_own_thread` at "),
        "{report}"
    );
    assert!(report.contains(": boom "), "{report}");
    assert!(!report.contains('\u{1b}'), "{report}");
    assert!(report.contains(place), "{report}");
    assert!(report.contains("backtrace:"), "{report}");
    assert!(
        report.contains("child_panics_on_its_own_thread"),
        "{report}"
    );
    // Nothing of it went to the file fd 2 pointed at.
    let redirected = std::fs::read_to_string(dir.path().join("libvirt.log")).unwrap();
    assert!(!redirected.contains("boom"), "{redirected}");
    for file in ["yun.log", "libvirt.log"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

#[test]
fn a_panic_in_a_libvirt_job_unwinds_to_its_catch_unwind() {
    let dir = tempfile::tempdir().unwrap();
    let out = child("child_panics_on_a_libvirt_thread", dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("CAUGHT:true"), "{stdout}");
    let report = std::fs::read_to_string(dir.path().join("yun.log")).unwrap();
    assert!(report.contains("panic on thread `libvirt` at "), "{report}");
    assert!(report.contains(": inside a job"), "{report}");
}
