//! A small tmux driver for end-to-end tests: every test gets its own tmux server (a unique
//! `-L` socket), a 120×40 window running a clean `bash --norc --noprofile`, and its own config
//! and state directories, so tests run in parallel and never touch the user's files.
//!
//! Waiting is always by polling `capture-pane` every 50 ms until a condition holds or the
//! timeout (`YUN_E2E_TIMEOUT_SECS`, default 10 s) runs out; a timeout fails the test and prints
//! the last screen.
//!
//! This is the one driver of the Rust tests; the scripts (screenshots, benchmarks) share their
//! own in shell, scripts/lib/tmux-driver.sh, with the same way of starting yun.

// Test support: failing loudly is the point, and not every test uses every helper.
#![allow(dead_code, clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The shell prompt inside the pane; a screen whose last non-blank line is this prompt is "back
/// at the shell".
pub const PROMPT: &str = "E2E-READY$";

const POLL: Duration = Duration::from_millis(50);

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// How long any single wait may take.
pub fn timeout() -> Duration {
    std::env::var("YUN_E2E_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map_or(Duration::from_secs(10), Duration::from_secs_f64)
}

/// Fails with a clear message when tmux is not installed: these tests must not pass by skipping.
fn require_tmux() {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "tmux is required for the end-to-end tests but was not found on PATH; \
         install it (scripts/deps.sh does) and run the tests again"
    );
}

pub struct Tmux {
    socket: String,
    /// The server's socket file, removed on drop (tmux leaves it behind).
    socket_path: Option<PathBuf>,
    session: String,
    /// Unique per test; passed as `--refresh <token>` so `pgrep -f` finds this test's yun only.
    pub token: String,
    _dirs: tempfile::TempDir,
    pub state_dir: PathBuf,
    pub config_dir: PathBuf,
}

impl Tmux {
    /// Starts a detached 120×40 session running a clean shell and waits for its prompt.
    pub fn start(name: &str) -> Self {
        Self::start_sized(name, 120, 40)
    }

    pub fn start_sized(name: &str, width: u16, height: u16) -> Self {
        require_tmux();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let socket = format!("yun-e2e-{pid}-{n}-{name}");
        let session = format!("e2e-{name}-{n}");
        // A refresh period nobody else would pick, unique to this process and test.
        let token = format!("5.{pid}{n:03}");
        let dirs = tempfile::tempdir().expect("temp dir");
        let state_dir = dirs.path().join("state");
        let config_dir = dirs.path().join("config");
        let home = dirs.path().join("home");
        for d in [&state_dir, &config_dir, &home] {
            std::fs::create_dir_all(d).expect("create test dir");
        }
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
        let shell = format!(
            "env -i HOME={home} PATH={path} TERM=tmux-256color LANG=C.UTF-8 \
             YUN_STATE_DIR={state} YUN_CONFIG_DIR={config} PS1='{PROMPT} ' \
             bash --norc --noprofile",
            home = sh_quote(&home),
            path = sh_quote(Path::new(&path)),
            state = sh_quote(&state_dir),
            config = sh_quote(&config_dir),
        );
        let mut t = Self {
            socket,
            socket_path: None,
            session,
            token,
            _dirs: dirs,
            state_dir,
            config_dir,
        };
        let out = t.tmux(&[
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &shell,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = t.tmux(&["display-message", "-p", "#{socket_path}"]);
        let path = String::from_utf8_lossy(&path.stdout).trim().to_string();
        t.socket_path = (!path.is_empty()).then(|| PathBuf::from(path));
        // Keep the pane's size exactly as asked, whatever clients come and go.
        t.tmux(&["set-option", "-g", "window-size", "manual"]);
        t.wait_for_prompt();
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-u")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    pub fn target(&self) -> String {
        format!("{}:0.0", self.session)
    }

    /// Keys in tmux's key syntax (`Enter`, `Tab`, `C-c`, …), sent back to back in one call.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t"];
        let target = self.target();
        args.push(&target);
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "send-keys {keys:?} failed");
    }

    /// Literal text, typed as is.
    pub fn type_text(&self, text: &str) {
        let target = self.target();
        let out = self.tmux(&["send-keys", "-t", &target, "-l", text]);
        assert!(out.status.success(), "send-keys -l {text:?} failed");
    }

    /// Escape on its own, then a short pause so a following key is not read as Alt+key.
    pub fn escape(&self) {
        self.keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Types a command line into the shell and presses Enter.
    pub fn run_line(&self, line: &str) {
        self.type_text(line);
        self.keys(&["Enter"]);
    }

    /// Starts yun in the pane with `--demo`, this test's unique `--refresh` token and `args`,
    /// then waits for the first table.
    pub fn start_yun(&self, args: &[&str]) {
        let mut all = vec!["--demo"];
        all.extend_from_slice(args);
        self.start_yun_with(&[], &all);
    }

    /// Starts yun in the pane with the environment variables `env` (values quoted for the
    /// shell), this test's unique `--refresh` token and `args` (no `--demo`).
    ///
    /// yun runs from a small script under `sh`, not straight from the interactive bash: bash
    /// puts the terminal's modes back itself when a job dies of a signal, which would hide a
    /// yun that leaves echo off; `sh` (like a script or another shell) does not.
    pub fn start_yun_with(&self, env: &[(&str, &str)], args: &[&str]) {
        let bin = env!("CARGO_BIN_EXE_yun");
        let mut line = String::new();
        for (k, v) in env {
            line.push_str(&format!("{k}={} ", sh_quote(Path::new(v))));
        }
        line.push_str(&format!(
            "{} --refresh {}",
            sh_quote(Path::new(bin)),
            self.token
        ));
        for a in args {
            line.push(' ');
            line.push_str(&sh_quote(Path::new(a)));
        }
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let script = self.state_dir.join(format!("run-yun-{n}.sh"));
        std::fs::write(&script, format!("{line}\n")).expect("write the start script");
        self.run_line(&format!("sh {}", sh_quote(&script)));
    }

    /// Sends `signal` (a name such as `TERM`) to `pid` with kill(1).
    pub fn kill(&self, signal: &str, pid: u32) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid} failed");
    }

    pub fn capture(&self) -> String {
        let target = self.target();
        let out = self.tmux(&["capture-pane", "-p", "-t", &target]);
        assert!(out.status.success(), "capture-pane failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until `cond` holds; panics with the last screen after the timeout.
    pub fn wait_until(&self, what: &str, cond: impl Fn(&str) -> bool) -> String {
        let limit = timeout();
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if cond(&screen) {
                return screen;
            }
            if start.elapsed() > limit {
                panic!(
                    "timed out after {:.1} s waiting for {what}; last screen:\n{screen}",
                    limit.as_secs_f64()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    pub fn wait_for_text(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on screen"), |s| s.contains(text))
    }

    /// Waits until the screen shows the same content for several polls in a row.
    pub fn wait_stable(&self) -> String {
        let limit = timeout();
        let start = Instant::now();
        let mut last = self.capture();
        let mut same = 0;
        loop {
            std::thread::sleep(POLL);
            let screen = self.capture();
            if screen == last {
                same += 1;
                if same >= 4 {
                    return screen;
                }
            } else {
                same = 0;
                last = screen;
            }
            assert!(
                start.elapsed() <= limit,
                "screen never settled; last screen:\n{last}"
            );
        }
    }

    /// Waits until the last non-blank line is the bare shell prompt.
    pub fn wait_for_prompt(&self) -> String {
        self.wait_until("the shell prompt", at_prompt)
    }

    /// The line of the screen containing `needle`, if any.
    pub fn line_with(screen: &str, needle: &str) -> Option<String> {
        screen
            .lines()
            .find(|l| l.contains(needle))
            .map(str::to_string)
    }

    /// Pids of this test's yun processes (matched on the unique `--refresh` token).
    pub fn yun_pids(&self) -> Vec<u32> {
        let pattern = format!("--refresh {}", self.token);
        let out = Command::new("pgrep")
            .arg("-f")
            .arg("--")
            .arg(&pattern)
            .output()
            .expect("run pgrep (procps)");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .filter(|pid| is_alive(*pid))
            .collect()
    }

    /// The pid of this test's one running yun.
    pub fn yun_pid(&self) -> u32 {
        let pids = self.yun_pids();
        assert_eq!(pids.len(), 1, "expected one yun process, found {pids:?}");
        pids[0]
    }

    /// A tmux format evaluated for the pane, e.g. `#{alternate_on}`.
    pub fn pane_format(&self, format: &str) -> String {
        let target = self.target();
        let out = self.tmux(&["display-message", "-p", "-t", &target, format]);
        assert!(out.status.success(), "display-message {format} failed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn resize(&self, width: u16, height: u16) {
        let target = self.target();
        let out = self.tmux(&[
            "resize-window",
            "-t",
            &target,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        assert!(
            out.status.success(),
            "resize-window failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// After yun has exited: the shell prompt is back with its exit status `status`, the pane
    /// has left the alternate screen and shows the cursor, the terminal is in cooked mode with
    /// echo, and no yun of this test is left.
    pub fn assert_restored(&self, pid: u32, status: u8) {
        self.wait_for_prompt();
        wait_gone(pid);
        assert!(
            self.yun_pids().is_empty(),
            "yun still running: {:?}",
            self.yun_pids()
        );
        assert_eq!(
            self.pane_format("#{alternate_on}"),
            "0",
            "still on the alternate screen"
        );
        assert_eq!(
            self.pane_format("#{cursor_flag}"),
            "1",
            "cursor left hidden"
        );
        assert_eq!(
            self.pane_format("#{mouse_any_flag}"),
            "0",
            "mouse reporting left on"
        );

        // Only the commands' output lines start with STATUS: or FLAG: (the typed command line
        // starts with the prompt), so the wait cannot be satisfied by the echo of the command.
        self.run_line(
            "echo STATUS:$?; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | sed 's/^/FLAG:/'",
        );
        let screen = self.wait_until("the exit status, the stty flags and the prompt", |s| {
            s.lines().filter(|l| l.starts_with("FLAG:")).count() == 2 && at_prompt(s)
        });
        let shown = screen.lines().find_map(|l| l.strip_prefix("STATUS:"));
        assert_eq!(
            shown.map(str::trim),
            Some(status.to_string().as_str()),
            "exit status of yun\n{screen}"
        );
        let flags: Vec<&str> = screen
            .lines()
            .filter_map(|l| l.strip_prefix("FLAG:"))
            .map(str::trim)
            .collect();
        assert!(
            flags.contains(&"icanon") && flags.contains(&"echo"),
            "terminal not restored, stty flags: {flags:?}\n{screen}"
        );
    }

    /// Kills the session, which hangs up the pane's terminal.
    pub fn kill_session(&self) {
        let out = self.tmux(&["kill-session", "-t", &self.session]);
        assert!(out.status.success(), "kill-session failed");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// True when the last non-blank line of the screen is the bare prompt.
pub fn at_prompt(screen: &str) -> bool {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_end() == PROMPT)
}

/// A process counts as alive unless it is gone or a zombie (state `Z`; PID 1 here may never reap
/// it) or dead (`X`).
pub fn is_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may contain spaces.
    let state = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
        .unwrap_or("X");
    !matches!(state, "Z" | "X" | "x")
}

/// Waits until `pid` is no longer alive; panics after the timeout.
pub fn wait_gone(pid: u32) {
    let limit = timeout();
    let start = Instant::now();
    while is_alive(pid) {
        assert!(
            start.elapsed() <= limit,
            "process {pid} still running after {:.1} s",
            limit.as_secs_f64()
        );
        std::thread::sleep(POLL);
    }
}

/// Single-quotes a path for the shell.
fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}
