//! End-to-end tests: the real `yun` binary on the demo host, driven through tmux.
//!
//! Each test runs its own tmux server; see `tmux/mod.rs` for the driver. Waits time out after
//! `YUN_E2E_TIMEOUT_SECS` (default 10 s). tmux must be installed: without it the tests fail.

mod tmux;

use std::process::Command;

use tmux::{Tmux, is_alive, wait_gone};

/// The Instances table of the demo host once it has loaded.
const INSTANCES_TITLE: &str = "┌ Instances (14)";

fn start_console(name: &str, args: &[&str]) -> Tmux {
    let t = Tmux::start(name);
    t.start_yun(args);
    t.wait_for_text(INSTANCES_TITLE);
    t
}

/// The third screen line: the top border of the main block, which carries its title.
fn block_title(screen: &str) -> String {
    screen.lines().nth(2).unwrap_or_default().to_string()
}

#[test]
fn start_lists_instances_and_tabs_through_every_view() {
    let t = start_console("tabs", &[]);
    t.wait_until("web-01, 数据库-主 and the tab line", |s| {
        s.contains("│web-01 ")
            && s.contains("│数据库-主 ")
            && s.lines().nth(1).is_some_and(|l| {
                l.contains("1 Overview") && l.contains("2 Instances 14") && l.contains("6 Networks")
            })
    });

    // Tab moves right through the views and wraps; Shift-Tab goes back.
    for title in [
        "┌ Flavors (5)",
        "┌ Images (5)",
        "┌ Volumes (19)",
        "┌ Networks (3)",
        "┌ Host ",
        INSTANCES_TITLE,
    ] {
        t.keys(&["Tab"]);
        t.wait_until(&format!("block title {title:?}"), |s| {
            block_title(s).contains(title)
        });
    }
    t.keys(&["BTab"]);
    t.wait_until("the Overview after Shift-Tab", |s| {
        block_title(s).contains("┌ Host ") && s.contains("Instances by status")
    });
    t.keys(&["6"]);
    t.wait_until("Networks by its digit", |s| {
        block_title(s).contains("┌ Networks (3)")
    });
}

#[test]
fn filter_narrows_rows_live_and_escape_clears() {
    let t = start_console("filter", &[]);
    t.type_text("/web");
    t.wait_until("only the web rows under a filtered title", |s| {
        s.contains("web-01")
            && s.contains("web-02")
            && !s.contains("db-replica")
            && !s.contains("数据库-主")
            && block_title(s).contains("Instances (2/14) [filter: web]")
    });

    t.escape();
    t.wait_until("all rows again under an unfiltered title", |s| {
        s.contains("db-replica")
            && s.contains("web-01")
            && s.contains("数据库-主")
            && block_title(s).contains(INSTANCES_TITLE)
            && !block_title(s).contains("filter")
    });
}

#[test]
fn pause_and_resume_an_active_instance() {
    let t = start_console("pause", &[]);
    t.wait_until("web-01 Active", |s| {
        Tmux::line_with(s, "│web-01").is_some_and(|r| r.contains("Active"))
    });

    // Filter to the one instance so it is the selected row.
    t.type_text("/web-01");
    t.wait_until("the web-01 row alone", |s| {
        block_title(s).contains("Instances (1/14)")
    });
    t.keys(&["Enter"]);

    t.keys(&["p"]);
    t.wait_until("Pause done and the row Paused", |s| {
        s.contains("Pause web-01: done")
            && Tmux::line_with(s, "│web-01").is_some_and(|r| r.contains("Paused"))
    });

    t.keys(&["p"]);
    t.wait_until("Resume done and the row Active", |s| {
        s.contains("Resume web-01: done")
            && Tmux::line_with(s, "│web-01").is_some_and(|r| r.contains("Active"))
    });
}

#[test]
fn live_columns_sort_by_cpu_and_the_monitor_pane_opens() {
    let t = start_console("monitor", &["--interval", "0.5"]);
    t.keys(&["%"]);
    // The test driver's CPU time runs with the clock: 100 % of a 1-vCPU instance.
    t.wait_until("CPU figures in the live column", |s| {
        Tmux::line_with(s, "│web-01").is_some_and(|r| r.contains("100.0 %"))
    });
    t.keys(&[":"]);
    t.type_text("sort cpu");
    t.keys(&["Enter", ":"]);
    t.type_text("sort cpu");
    t.keys(&["Enter"]);
    let screen = t.wait_until("sorted by CPU, highest first", |s| {
        s.contains("CPU↓") && s.contains("sorted by CPU descending")
    });
    // Rows with a figure come first, highest first; rows without one ("—") after them.
    let rows: Vec<&str> = screen
        .lines()
        .skip(4)
        .take(14)
        .filter(|l| l.starts_with('│'))
        .collect();
    let figure = |row: &str| -> Option<f64> {
        let at = row.find(" %")?;
        row[..at].rsplit(' ').next()?.parse().ok()
    };
    let figures: Vec<Option<f64>> = rows.iter().map(|r| figure(r)).collect();
    let first_missing = figures
        .iter()
        .position(Option::is_none)
        .expect("a row without a figure");
    assert!(first_missing >= 5, "{screen}");
    assert!(
        figures[first_missing..].iter().all(Option::is_none),
        "{screen}"
    );
    assert!(
        figures[..first_missing].windows(2).all(|w| w[0] >= w[1]),
        "descending: {figures:?}\n{screen}"
    );
    // `m` on the top row opens its monitor with the figure's basis; Esc goes back.
    t.keys(&["g", "m"]);
    t.wait_until("the monitor pane with its figures", |s| {
        s.contains("Monitor ·")
            && s.contains("of its 1 vCPU")
            && s.contains("test driver")
            && s.contains("yun sets the balloon period on live guests")
    });
    t.escape();
    t.wait_until("back on the table", |s| {
        block_title(s).contains("Instances (14)")
    });
}

#[test]
fn the_snapshot_form_refuses_an_empty_name_then_takes_the_snapshot() {
    let t = start_console("form", &[]);
    t.type_text("/web-01");
    t.wait_until("the web-01 row alone", |s| {
        block_title(s).contains("Instances (1/14)")
    });
    t.keys(&["Enter", "S"]);
    t.wait_until("the form with its name and the equivalent command", |s| {
        s.contains("Create snapshot")
            && s.contains("Snapshot name  web-01-snapshot")
            && s.contains("--name web-01-snapshot web-01")
    });
    // Emptied, the name is refused beside the field and the form stays.
    t.keys(&["C-u", "Enter"]);
    t.wait_until("the error beside the empty name", |s| {
        s.contains("✗ required") && s.contains("Create snapshot")
    });
    t.type_text("nightly");
    t.wait_until("the error gone and the command updated", |s| {
        !s.contains("✗ required") && s.contains("--name nightly")
    });
    t.keys(&["Enter"]);
    t.wait_until("the snapshot taken and the form closed", |s| {
        s.contains("Create snapshot web-01: done") && !s.contains("Snapshot name")
    });
}

fn assert_terminal_restored(t: &Tmux, pid: u32, status: u8) {
    t.assert_restored(pid, status);
}

#[test]
fn quit_with_q_restores_the_terminal() {
    let t = start_console("quit-q", &[]);
    let pid = t.yun_pid();
    t.keys(&["q"]);
    assert_terminal_restored(&t, pid, 0);
}

#[test]
fn ctrl_c_restores_the_terminal() {
    let t = start_console("quit-ctrl-c", &[]);
    let pid = t.yun_pid();
    t.keys(&["C-c"]);
    assert_terminal_restored(&t, pid, 0);
}

#[test]
fn sigterm_restores_the_terminal() {
    let t = start_console("quit-term", &[]);
    let pid = t.yun_pid();
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid} failed");
    assert_terminal_restored(&t, pid, 143);
}

#[test]
fn hangup_ends_yun() {
    let t = start_console("hangup", &[]);
    let pid = t.yun_pid();
    assert!(is_alive(pid));
    t.kill_session();
    wait_gone(pid);
    assert!(t.yun_pids().is_empty(), "{:?}", t.yun_pids());
}

#[test]
fn small_terminal_shows_a_notice_until_it_grows() {
    let t = start_console("small", &[]);
    t.resize(60, 20);
    t.wait_until("the too-small notice instead of the table", |s| {
        s.contains("Terminal too small: 60×20") && !s.contains("web-01")
    });
    t.resize(120, 40);
    t.wait_until("the table again", |s| {
        block_title(s).contains(INSTANCES_TITLE)
            && s.contains("web-01")
            && !s.contains("Terminal too small")
    });
}

#[test]
fn chinese_interface() {
    let t = Tmux::start("zh");
    t.start_yun(&["--lang", "zh"]);
    t.wait_until("the Chinese tab line and table title", |s| {
        s.lines().nth(1).is_some_and(|l| {
            l.contains("1 概览") && l.contains("2 云主机") && !l.contains("Instances")
        }) && block_title(s).contains("┌ 云主机 (14)")
    });
}

#[test]
fn non_finite_numbers_in_config_toml_are_reported_and_the_console_runs_on_defaults() {
    let t = Tmux::start("config-nan");
    std::fs::write(
        t.config_dir.join("config.toml"),
        "refresh_secs = nan\nmonitor_interval_secs = inf\n",
    )
    .expect("write config.toml");
    t.start_yun(&[]);
    t.wait_until("the console and the config message", |s| {
        s.contains(INSTANCES_TITLE)
            && s.contains("config.toml: key `refresh_secs` = NaN is out of range (0.5 to 3600)")
    });
    let log = std::fs::read_to_string(t.state_dir.join("yun.log")).expect("yun.log");
    assert!(
        log.contains("key `monitor_interval_secs` = inf is out of range"),
        "{log}"
    );
    // The monitor samples at the default interval instead of panicking on an infinite one.
    t.keys(&["m"]);
    t.wait_for_text("every 1 s");
    let pid = t.yun_pid();
    t.escape();
    t.keys(&["q"]);
    assert_terminal_restored(&t, pid, 0);
}

/// True when some line of `screen` shows `key` and then `desc` as its next words (a row of the
/// `?` help: the keys column, then what they do).
fn help_row(screen: &str, key: &str, desc: &str) -> bool {
    screen.lines().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.windows(2).any(|w| w[0] == key && w[1] == desc)
    })
}

#[test]
fn a_key_rebound_in_config_toml_works_shows_in_help_and_hints_and_the_old_key_is_free() {
    // Wide enough for every key hint, delete's included.
    let t = Tmux::start_sized("user-keys", 240, 40);
    // Found through XDG_CONFIG_HOME, as on a user's machine (an empty YUN_CONFIG_DIR is unset).
    let xdg = t.config_dir.join("xdg");
    std::fs::create_dir_all(xdg.join("yun")).expect("create the config dir");
    std::fs::write(
        xdg.join("yun/config.toml"),
        "[keys]\ninstance.delete = \"X\"\n",
    )
    .expect("write config.toml");
    let xdg = xdg.display().to_string();
    t.start_yun_with(
        &[("YUN_CONFIG_DIR", ""), ("XDG_CONFIG_HOME", &xdg)],
        &["--demo"],
    );
    let screen = t.wait_until("the console with X in the key hints", |s| {
        s.contains(INSTANCES_TITLE) && s.contains("<X> Delete")
    });
    assert!(!screen.contains("<Ctrl-d>"), "{screen}");
    assert!(
        !screen.contains("config:"),
        "a problem was reported:\n{screen}"
    );

    // web-02, one above the last row.
    t.keys(&["G", "k"]);
    t.wait_stable();

    // The old keys no longer delete.
    for old in ["C-d", "DC"] {
        t.keys(&[old]);
        let screen = t.wait_stable();
        assert!(
            !screen.contains("Delete instance"),
            "{old} still opens the delete confirmation:\n{screen}"
        );
    }

    // The new one asks, and Esc leaves the instance alone.
    t.keys(&["X"]);
    t.wait_for_text("Delete instance “web-02”?");
    t.escape();
    let screen = t.wait_until("the confirmation gone", |s| {
        !s.contains("Delete instance") && s.contains(INSTANCES_TITLE)
    });
    assert!(screen.contains("│web-02 "), "{screen}");

    // `?` shows X for delete (the Instances keys are last: scroll until they are in view).
    t.keys(&["?"]);
    t.wait_for_text("quit");
    let mut screen = t.capture();
    for _ in 0..60 {
        if help_row(&screen, "X", "Delete") {
            break;
        }
        t.keys(&["Down"]);
        screen = t.wait_stable();
    }
    assert!(
        help_row(&screen, "X", "Delete"),
        "no `X Delete` in the help:\n{screen}"
    );
    assert!(!screen.contains("Ctrl-d/Delete"), "{screen}");
    let pid = t.yun_pid();
    t.escape();
    t.keys(&["q"]);
    assert_terminal_restored(&t, pid, 0);
}

#[test]
fn a_key_conflict_in_config_toml_is_reported_with_its_line_and_the_default_kept() {
    let t = Tmux::start_sized("user-keys-conflict", 240, 40);
    // `p` is pause's; table.down's new keys still apply.
    std::fs::write(
        t.config_dir.join("config.toml"),
        "theme = \"default\"\n[keys]\ninstance.delete = \"p\"\ntable.down = \"n\"\n",
    )
    .expect("write config.toml");
    t.start_yun(&[]);
    let screen = t.wait_until("the console and the conflict on the status line", |s| {
        s.contains(INSTANCES_TITLE)
            && s.contains("config.toml line 3, key `instance.delete`: p is already bound")
    });
    assert!(screen.contains("<Ctrl-d> Delete"), "{screen}");
    t.keys(&["n"]);
    t.keys(&["C-d"]);
    t.wait_for_text("Delete instance “build-box”?");
    let pid = t.yun_pid();
    t.escape();
    t.keys(&["q"]);
    assert_terminal_restored(&t, pid, 0);
}

/// A pause and a volume create made in the console are both in the audit log: in `:audit`,
/// and in `yun audit -o json`, with no secret in the file.
#[test]
fn changes_made_in_the_console_are_in_the_audit_log() {
    let t = start_console("audit", &[]);
    t.type_text("/web-01");
    t.wait_until("the web-01 row alone", |s| {
        block_title(s).contains("Instances (1/14)")
    });
    t.keys(&["Enter"]);
    t.keys(&["p"]);
    t.wait_for_text("Pause web-01: done");

    t.keys(&["5"]);
    t.wait_until("the Volumes tab", |s| {
        block_title(s).contains("┌ Volumes (19)")
    });
    t.keys(&["n"]);
    t.wait_for_text("Capacity");
    t.type_text("e2e-scratch.qcow2");
    t.keys(&["Tab"]);
    t.type_text("vms");
    t.keys(&["Tab", "BSpace", "BSpace"]);
    t.type_text("1");
    t.wait_until("the equivalent command", |s| s.contains("vol-create-as"));
    t.keys(&["Tab", "Enter"]);
    t.wait_for_text("Create volume e2e-scratch.qcow2: done");

    t.type_text(":audit");
    t.keys(&["Enter"]);
    t.wait_until("both changes in :audit", |s| {
        s.contains("Audit log (2)")
            && s.contains("pause instance web-01")
            && s.contains("create volume e2e-scratch.qcow2")
    });
    t.type_text("create");
    t.wait_for_text("Audit log (1)");
    t.keys(&["Escape"]);
    t.wait_until("the view closed", |s| !s.contains("Audit log ("));

    let out = Command::new(env!("CARGO_BIN_EXE_yun"))
        .args(["audit", "-o", "json"])
        .env("YUN_STATE_DIR", &t.state_dir)
        .output()
        .expect("run yun audit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let actions: Vec<(&str, &str)> = json
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| (r["action"].as_str().unwrap(), r["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [("create", "e2e-scratch.qcow2"), ("pause", "web-01")],
        "newest first"
    );
    let file = std::fs::read_to_string(t.state_dir.join("audit.log")).expect("audit.log");
    for secret in ["password", "token", "PRIVATE KEY", "passwd"] {
        assert!(
            !file.to_lowercase().contains(&secret.to_lowercase()),
            "{secret} in {file}"
        );
    }
}
