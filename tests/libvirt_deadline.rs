//! libvirt calls have deadlines: a daemon that does not answer fails calls with a clear message
//! within the deadline instead of freezing yun, and yun recovers when it answers again.
//!
//! Two kinds of peer, both made by the tests themselves:
//! * a unix socket that accepts connections and never says anything (no daemon needed);
//! * a private `libvirtd` on its own socket directory, stopped with SIGSTOP and resumed with
//!   SIGCONT. It loads no driver modules (`LIBVIRT_DRIVER_DIR` points at an empty directory), so
//!   it serves only libvirt's built-in test driver (`test+unix:///default`) and touches none of
//!   the state of a system daemon (such as the one `scripts/hypervisor.sh` starts). Without
//!   `/usr/sbin/libvirtd` (package `libvirt-daemon`) these tests say why they are skipped and
//!   pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod tmux;

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};
use yun::backend::{Backend, BackendError, ConnectionState, InstanceAction};
use yun::model::{Listing, ResourceKind};

/// The deadline of one call and of opening a connection.
const DEADLINE: Duration = Duration::from_secs(10);
/// What the tests allow beyond a deadline.
const SLACK: Duration = Duration::from_secs(2);

const LIBVIRTD: &str = "/usr/sbin/libvirtd";

fn options(uri: &str) -> LibvirtOptions {
    LibvirtOptions {
        uri: uri.into(),
        readonly: false,
        flavors: Vec::new(),
        image_pools: Vec::new(),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A unix socket that accepts every connection and holds it open without a word.
fn silent_socket(dir: &Path) -> PathBuf {
    let path = dir.join("sock");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let mut held: Vec<UnixStream> = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    path
}

#[test]
fn a_socket_that_never_answers_fails_the_first_open_within_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let sock = silent_socket(dir.path());
    let uri = format!("qemu+unix:///system?socket={}", sock.display());
    let started = Instant::now();
    let connected = LibvirtBackend::connect(options(&uri));
    let waited = started.elapsed();
    let err = connected.err().expect("a silent socket cannot connect");
    assert_eq!(
        err.to_string(),
        format!(
            "failed to connect to the hypervisor: libvirt did not answer within 10 s while \
             opening {uri}"
        )
    );
    assert!(
        waited >= DEADLINE && waited < DEADLINE + SLACK,
        "gave up after {waited:?}"
    );
}

#[test]
fn yun_says_at_start_up_that_a_silent_socket_does_not_answer() {
    let dir = tempfile::tempdir().unwrap();
    let sock = silent_socket(dir.path());
    let uri = format!("qemu+unix:///system?socket={}", sock.display());
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_yun"))
        .args(["-c", &uri, "list", "instances"])
        .env("HOME", dir.path())
        .env("YUN_STATE_DIR", dir.path().join("state"))
        .env("YUN_CONFIG_DIR", dir.path().join("config"))
        .env("LANG", "C")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let waited = started.elapsed();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "yun: cannot connect to {uri}: failed to connect to the hypervisor: libvirt did not \
             answer within 10 s while opening {uri}"
        )),
        "{stderr}"
    );
    assert!(waited < DEADLINE + SLACK, "exited after {waited:?}");
}

/// A libvirtd of the test's own: its own socket directory, pid file, log and no driver
/// modules. Stopped (and resumed first, should it be stopped) when dropped.
struct PrivateLibvirtd {
    dir: tempfile::TempDir,
    child: Child,
}

impl PrivateLibvirtd {
    /// `None`, with the reason printed, when libvirtd is not installed.
    fn start() -> Option<PrivateLibvirtd> {
        if !Path::new(LIBVIRTD).exists() {
            eprintln!(
                "skipped: {LIBVIRTD} is not installed (package libvirt-daemon; \
                 scripts/hypervisor.sh installs it)"
            );
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("yun-lvd-")
            .tempdir()
            .unwrap();
        let drivers = dir.path().join("drivers");
        std::fs::create_dir(&drivers).unwrap();
        let config = dir.path().join("libvirtd.conf");
        std::fs::write(
            &config,
            format!(
                "unix_sock_dir = \"{dir}\"\n\
                 auth_unix_rw = \"none\"\n\
                 auth_unix_ro = \"none\"\n\
                 log_outputs = \"3:file:{dir}/libvirtd.log\"\n",
                dir = dir.path().display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        let child = Command::new(LIBVIRTD)
            .arg("-f")
            .arg(&config)
            .arg("-p")
            .arg(dir.path().join("libvirtd.pid"))
            .env("LIBVIRT_DRIVER_DIR", &drivers)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let daemon = PrivateLibvirtd { dir, child };
        let sock = daemon.dir.path().join("libvirt-sock");
        let limit = Instant::now() + Duration::from_secs(15);
        while !sock.exists() {
            assert!(
                Instant::now() < limit,
                "libvirtd did not create {}: {}",
                sock.display(),
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(daemon)
    }

    fn uri(&self) -> String {
        format!(
            "test+unix:///default?socket={}",
            self.dir.path().join("libvirt-sock").display()
        )
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`STOP`, `CONT`, `TERM`) to the daemon this test started.
    fn signal(&self, signal: &str) -> bool {
        Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn stop(&self) {
        assert!(self.signal("STOP"), "kill -STOP {}", self.pid());
    }

    fn resume(&self) {
        assert!(self.signal("CONT"), "kill -CONT {}", self.pid());
    }

    fn log(&self) -> String {
        ["stderr.log", "libvirtd.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for PrivateLibvirtd {
    fn drop(&mut self) {
        self.signal("CONT");
        self.signal("TERM");
        let limit = Instant::now() + Duration::from_secs(5);
        while Instant::now() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn instance_names(listing: Listing) -> Vec<String> {
    match listing {
        Listing::Instances(rows) => rows.into_iter().map(|i| i.name).collect(),
        other => panic!("not instances: {other:?}"),
    }
}

/// Poll `cond` every 100 ms for at most `limit`.
async fn wait_for(limit: Duration, mut cond: impl AsyncFnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[test]
fn a_stopped_daemon_fails_calls_within_the_deadline_and_yun_recovers_when_it_resumes() {
    let Some(daemon) = PrivateLibvirtd::start() else {
        return;
    };
    let backend = LibvirtBackend::connect(options(&daemon.uri())).unwrap();
    let rt = rt();
    rt.block_on(async {
        let listed = backend.list(ResourceKind::Instances).await.unwrap();
        assert_eq!(instance_names(listed), vec!["test".to_string()]);
        assert!(backend.sample_stats(Vec::new()).await.is_ok());

        daemon.stop();
        let started = Instant::now();
        let (listing, stats) = tokio::join!(
            backend.list(ResourceKind::Instances),
            backend.sample_stats(Vec::new())
        );
        let waited = started.elapsed();
        assert_eq!(
            listing.unwrap_err(),
            BackendError::Connection(
                "libvirt did not answer within 10 s: listing instances".into()
            )
        );
        assert_eq!(
            stats.unwrap_err(),
            BackendError::Connection(
                "libvirt did not answer within 10 s: reading statistics".into()
            )
        );
        assert!(
            waited >= DEADLINE && waited < DEADLINE + SLACK,
            "gave up after {waited:?}"
        );
        let state = backend.connection_state().await;
        assert!(
            matches!(&state, ConnectionState::NotAnswering { reason, .. }
                if reason == "libvirt did not answer within 10 s: listing instances"),
            "{state:?}"
        );

        // While the daemon stays stopped, calls fail at once with the reason.
        let asked = Instant::now();
        let again = backend.list(ResourceKind::Instances).await;
        assert!(
            matches!(&again, Err(BackendError::Connection(r)) if r.contains("did not answer")),
            "{again:?}"
        );
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "{:?}",
            asked.elapsed()
        );

        daemon.resume();
        let resumed = Instant::now();
        let back = wait_for(Duration::from_secs(15), async || {
            backend.connection_state().await == ConnectionState::Connected
        })
        .await;
        assert!(back, "still {:?}", backend.connection_state().await);
        eprintln!("connected again {:?} after SIGCONT", resumed.elapsed());
        let listed = backend.list(ResourceKind::Instances).await.unwrap();
        let Listing::Instances(rows) = listed else {
            panic!("not instances")
        };
        assert_eq!(
            rows.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            ["test"]
        );
        assert!(backend.sample_stats(Vec::new()).await.is_ok());
        assert!(backend.host_info().await.is_ok());

        // The fresh connection registered for lifecycle events again.
        let id = rows[0].id.clone();
        backend.perform(&id, &InstanceAction::Pause).await.unwrap();
        let changed = tokio::time::timeout(Duration::from_secs(5), backend.next_changes())
            .await
            .expect("a lifecycle event within 5 s");
        assert_eq!(changed, Some(vec![id.clone()]));
        backend.perform(&id, &InstanceAction::Resume).await.unwrap();
    });
}

/// Polls the pane until `cond` holds, for at most `limit`; the screen and the time it took.
fn wait_screen(
    t: &tmux::Tmux,
    what: &str,
    limit: Duration,
    cond: impl Fn(&str) -> bool,
) -> (String, Duration) {
    let started = Instant::now();
    loop {
        let screen = t.capture();
        if cond(&screen) {
            return (screen, started.elapsed());
        }
        assert!(
            started.elapsed() < limit,
            "no {what} within {limit:?}; the screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

/// The header once the first call after SIGSTOP missed its deadline. Ctrl-R asks for the
/// listing and the host's facts together and either may reach the connection first, so the
/// call the message names is either of them.
const STUCK: &str = "connection stuck, retrying (1): libvirt did not answer within 10 s: ";

#[test]
fn the_console_says_a_stopped_daemon_is_stuck_keeps_working_and_recovers() {
    let Some(daemon) = PrivateLibvirtd::start() else {
        return;
    };
    let t = tmux::Tmux::start_sized("stuck", 200, 30);
    t.run_line(&format!(
        "{} -c '{}' --refresh {}",
        env!("CARGO_BIN_EXE_yun"),
        daemon.uri(),
        t.token
    ));
    let loaded = |s: &str| s.contains("┌ Instances (1)") && s.contains("│test ");
    wait_screen(&t, "instances table", Duration::from_secs(15), loaded);
    let pid = t.yun_pid();

    // Stopped: a refresh (Ctrl-R) lists, libvirt does not answer, and within the deadline the
    // header says so.
    daemon.stop();
    t.keys(&["C-r"]);
    let (_, took) = wait_screen(&t, "stuck header", DEADLINE + SLACK, |s| {
        let h = header(s);
        h.contains(&format!("{STUCK}listing instances"))
            || h.contains(&format!("{STUCK}reading the host's facts"))
    });
    eprintln!("the header said stuck {took:?} after SIGSTOP and Ctrl-R");

    // Keys keep working: the tabs move at once.
    t.keys(&["Tab"]);
    wait_screen(&t, "the Flavors tab", Duration::from_secs(1), |s| {
        s.contains("┌ Flavors")
    });
    t.keys(&["BTab"]);
    wait_screen(&t, "the Instances tab", Duration::from_secs(1), |s| {
        s.contains("┌ Instances")
    });

    // Resumed: connected again, the stuck message goes and a listing shows the domain.
    daemon.resume();
    let (_, took) = wait_screen(
        &t,
        "recovery",
        Duration::from_secs(5) + SLACK + SLACK,
        |s| !header(s).contains("connection stuck") && loaded(s),
    );
    eprintln!("recovered {took:?} after SIGCONT");

    // Stopped again with a listing in flight: q quits at once all the same.
    daemon.stop();
    t.keys(&["C-r"]);
    std::thread::sleep(Duration::from_millis(500));
    let asked = Instant::now();
    t.keys(&["q"]);
    while tmux::is_alive(pid) {
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "yun still runs 1 s after q; the screen:\n{}",
            t.capture()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("yun quit {:?} after q", asked.elapsed());
    wait_screen(
        &t,
        "the shell prompt",
        Duration::from_secs(2),
        tmux::at_prompt,
    );
}

/// The header's first line at 80 columns with the connection stuck, in `lang`.
fn stuck_header(lang: yun::i18n::Lang) -> String {
    let backend = LibvirtBackend::connect(options("test:///default")).unwrap();
    let mut state = yun::app::state::AppState::new(
        lang,
        backend.capabilities(),
        "qemu:///system".into(),
        Duration::from_secs(60),
    );
    state.connection = ConnectionState::NotAnswering {
        attempt: 2,
        reason: "libvirt did not answer within 10 s: listing instances".into(),
    };
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|f| {
            yun::ui::draw(f, &state, &yun::theme::Theme::default_theme());
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..buffer.area.width)
        .map(|x| buffer[(x, 0)].symbol().to_string())
        .collect()
}

#[test]
fn a_narrow_header_says_the_connection_is_stuck_in_both_languages() {
    let en = stuck_header(yun::i18n::Lang::En);
    assert!(
        en.contains("qemu:///system │ connection stuck, retrying (2): libvirt did not"),
        "{en}"
    );
    // A wide character's second cell reads as a space here.
    let zh = stuck_header(yun::i18n::Lang::Zh).replace(' ', "");
    assert!(
        zh.contains("qemu:///system│连接无响应,正在重试(2):libvirt"),
        "{zh}"
    );
}
