//! The `yun` binary from a shell: a failed connection, and `yun list` compared with `virsh` on
//! the same demo host.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn yun(state_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yun"))
        .args(args)
        .env("YUN_STATE_DIR", state_dir)
        .env("YUN_CONFIG_DIR", state_dir.join("config"))
        .env_remove("LIBVIRT_DEFAULT_URI")
        .env("LANG", "C")
        .output()
        .unwrap()
}

fn virsh(uri: &str, args: &[&str]) -> String {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(uri)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn failed_connection_prints_one_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = yun(dir.path(), &["-c", "test:///nonexistent/host.xml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("test:///nonexistent/host.xml"), "{stderr}");
    assert!(stderr.contains("--demo"), "{stderr}");
    // Nothing was drawn: no escape sequences (alternate screen, raw mode) on stdout.
    assert!(
        !out.stdout.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn list_instances_json_matches_virsh() {
    let dir = tempfile::tempdir().unwrap();
    let out = yun(dir.path(), &["--demo", "list", "instances", "-o", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let uri = format!(
        "test://{}",
        dir.path()
            .join("demo-host.xml")
            .canonicalize()
            .unwrap()
            .display()
    );
    let mut ours: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ours.sort();
    let mut theirs: Vec<(String, String)> = virsh(&uri, &["list", "--all", "--name"])
        .lines()
        .filter(|l| !l.is_empty())
        .map(|name| {
            (
                name.to_string(),
                virsh(&uri, &["domuuid", name]).trim().to_string(),
            )
        })
        .collect();
    theirs.sort();
    assert_eq!(ours, theirs);
}

#[test]
fn list_networks_csv_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = yun(dir.path(), &["--demo", "list", "networks", "-o", "csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Name,Active,Autostart,Forward mode")
    );
    let names: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(names, ["mgmt", "storage-net", "tenant-lan"]);

    let out = yun(dir.path(), &["--demo", "--lang", "zh", "list", "volumes"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("名称"), "{text}");
    assert!(text.contains("数据库-主 (vdb)"), "{text}");
}

#[test]
fn unknown_table_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = yun(dir.path(), &["--demo", "list", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown table `bogus`"));
}

#[test]
fn invalid_config_is_reported_in_the_log_and_yun_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "theme = 3\n").unwrap();
    let out = yun(dir.path(), &["--demo", "list", "flavors"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("m1.tiny"));
}

#[test]
fn refresh_and_interval_flags_refuse_non_finite_and_out_of_range_values() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--refresh", "--interval"] {
        for value in [
            "nan", "NaN", "inf", "-inf", "-1", "0", "1e20", "1e400", "soon",
        ] {
            let arg = format!("{flag}={value}");
            let out = yun(dir.path(), &["--demo", &arg, "list", "flavors"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{arg}: {stderr}");
            assert!(stderr.contains(flag), "{arg}: {stderr}");
            assert!(
                stderr.contains("out of range") || stderr.contains("not a number"),
                "{arg}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{arg}: {stderr}");
        }
    }
    let out = yun(
        dir.path(),
        &[
            "--demo",
            "--refresh",
            "0.5",
            "--interval",
            "3600",
            "list",
            "flavors",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_numbers_out_of_range_are_logged_with_file_and_key_and_defaults_used() {
    for (key, value) in [
        ("refresh_secs", "nan"),
        ("refresh_secs", "inf"),
        ("refresh_secs", "-1.0"),
        ("refresh_secs", "1e300"),
        ("monitor_interval_secs", "nan"),
        ("monitor_interval_secs", "-inf"),
        ("monitor_interval_secs", "1e300"),
        ("monitor_window_secs", "0"),
        ("monitor_window_secs", "9223372036854775807"),
        ("monitor_window_secs", "-1"),
        ("settle_timeout_secs", "9223372036854775807"),
        ("settle_timeout_secs", "nan"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(config.join("config.toml"), format!("{key} = {value}\n")).unwrap();
        let out = yun(dir.path(), &["--demo", "list", "flavors"]);
        assert!(
            out.status.success(),
            "{key} = {value}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("m1.tiny"));
        let log = std::fs::read_to_string(dir.path().join("yun.log")).unwrap();
        assert!(
            log.contains("config.toml") && log.contains(key) && log.contains("default"),
            "{key} = {value}: {log}"
        );
    }
}

/// A test-driver host with one domain of the given XML-escaped name.
fn host_with_domains(dir: &std::path::Path, names: &[&str]) -> String {
    let domains: String = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                "<domain type='test'><name>{name}</name>\
                 <uuid>22222222-0000-4000-8000-00000000000{i}</uuid>\
                 <memory unit='MiB'>512</memory><vcpu>1</vcpu>\
                 <os><type arch='x86_64'>hvm</type></os></domain>"
            )
        })
        .collect();
    let path = dir.join("host.xml");
    std::fs::write(
        &path,
        format!(
            "<node><cpu><mhz>2400</mhz><model>x86_64</model><active>2</active><nodes>1</nodes>\
             <sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>\
             <memory>4194304</memory>{domains}</node>"
        ),
    )
    .unwrap();
    format!("test://{}", path.display())
}

/// Characters that must never reach the terminal raw: controls (but the line ends) and the
/// bidi overrides and isolates.
fn raw_hostile(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| {
            (c.is_control() && *c != '\n')
                || ('\u{202a}'..='\u{202e}').contains(c)
                || ('\u{2066}'..='\u{2069}').contains(c)
                || ['\u{200e}', '\u{200f}', '\u{61c}'].contains(c)
        })
        .collect()
}

#[test]
fn list_escapes_bidi_and_c1_controls_in_names_and_csv_defuses_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let uri = host_with_domains(
        dir.path(),
        &[
            "evil&#x202E;gpj.exe&#x85;&#x9B;31m&#x2066;&#x200F;&#x61C;-x y",
            "=cmd|' -C calc'!A0",
        ],
    );
    let out = yun(dir.path(), &["-c", &uri, "list", "instances"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(raw_hostile(&table), Vec::<char>::new(), "{table:?}");
    assert!(
        table.contains(r"evil\u{202e}gpj.exe\u{85}\u{9b}31m\u{2066}\u{200f}\u{61c}-x y"),
        "{table}"
    );

    let out = yun(dir.path(), &["-c", &uri, "list", "instances", "-o", "csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(raw_hostile(&csv), Vec::<char>::new(), "{csv:?}");
    assert!(
        csv.lines().any(|l| l.starts_with("'=cmd|' -C calc'!A0,")),
        "{csv}"
    );

    // JSON is exact data: the name round-trips, escaped the JSON way.
    let out = yun(dir.path(), &["-c", &uri, "list", "instances", "-o", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rows.iter()
            .any(|r| r["name"] == "evil\u{202e}gpj.exe\u{85}\u{9b}31m\u{2066}\u{200f}\u{61c}-x y")
    );
}

#[test]
fn an_error_line_naming_a_hostile_domain_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // libvirt refuses the name (it holds a `/`) and quotes it in its error.
    let uri = host_with_domains(dir.path(), &["a&#x202E;b&#x9B;2J/c"]);
    let out = yun(dir.path(), &["-c", &uri, "list", "instances"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(raw_hostile(&stderr), Vec::<char>::new(), "{stderr:?}");
    assert!(stderr.contains(r"a\u{202e}b\u{9b}2J/c"), "{stderr}");
}

/// yun as a user the system has no home directory for (no passwd entry, no HOME): it must
/// refuse rather than fall back to a shared temporary directory. Needs root to switch user.
fn yun_homeless(env: &[(&str, &std::path::Path)], args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yun"));
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C")
        .uid(54_321)
        .gid(54_321);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .expect("run yun as uid 54321 (the tests run as root)")
}

#[test]
fn without_a_home_yun_refuses_instead_of_using_a_shared_temp_dir() {
    let out = yun_homeless(&[], &["--demo", "list", "flavors"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("set HOME") && stderr.contains("YUN_STATE_DIR"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // With the directories named it works, and its files are private.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(dir.path(), Some(54_321), Some(54_321)).unwrap();
    let state = dir.path().join("state");
    let config = dir.path().join("config");
    let dirs = [
        ("YUN_STATE_DIR", state.as_path()),
        ("YUN_CONFIG_DIR", config.as_path()),
    ];
    let out = yun_homeless(&dirs, &["--demo", "list", "flavors"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["yun.log", "libvirt.log"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }

    // A cloud's token cache has no place either, and yun says so before asking anything.
    let clouds = dir.path().join("clouds.yaml");
    std::fs::write(
        &clouds,
        "clouds:\n  c:\n    auth:\n      auth_url: http://127.0.0.1:9/\n      username: u\n      \
         project_name: p\n      user_domain_name: Default\n      project_domain_name: Default\n",
    )
    .unwrap();
    let mut env = dirs.to_vec();
    env.push(("OS_CLIENT_CONFIG_FILE", clouds.as_path()));
    let out = yun_homeless(&env, &["--cloud", "c", "list", "instances"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("XDG_CACHE_HOME"), "{stderr}");
    assert!(!stderr.contains("Password"), "{stderr}");
}

#[test]
fn connection_and_display_flags_work_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let before = yun(
        dir.path(),
        &["--demo", "--lang", "zh", "list", "networks", "-o", "csv"],
    );
    let after = yun(
        dir.path(),
        &["list", "networks", "-o", "csv", "--demo", "--lang", "zh"],
    );
    for out in [&before, &after] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        String::from_utf8_lossy(&before.stdout),
        String::from_utf8_lossy(&after.stdout)
    );
    assert!(String::from_utf8_lossy(&after.stdout).contains("tenant-lan"));

    // A conflict is still a usage error, whichever side of the subcommand each flag is on.
    let out = yun(
        dir.path(),
        &["--demo", "list", "networks", "-c", "test:///default"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("'--demo' cannot be used with '--connect <URI>'"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn bash_completion_completes_a_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = yun(dir.path(), &["completions", "bash"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = dir.path().join("yun.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    // What bash's programmable completion does on `yun li<Tab>`: the words so far, the index
    // of the word under the cursor, then the function with (command, word, previous word).
    let complete = |line: &[&str]| {
        let words = line.join(" ");
        let cword = line.len() - 1;
        let cur = line[cword];
        let prev = line[cword - 1];
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c"])
            .arg(format!(
                "source \"$1\"; COMP_WORDS=({words}); COMP_CWORD={cword}; \
                 COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; \
                 _yun yun '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\""
            ))
            .arg("bash")
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let replies = complete(&["yun", "li"]);
    assert_eq!(replies.trim(), "list", "{replies}");
    let replies = complete(&["yun", "list", "instances", "--de"]);
    assert_eq!(replies.trim(), "--demo", "{replies}");
}

#[test]
fn zsh_and_fish_completions_and_the_man_page_name_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["zsh", "fish"] {
        let out = yun(dir.path(), &["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("list") && text.contains("demo"),
            "{shell}:\n{text}"
        );
    }
    let out = yun(dir.path(), &["man"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH yun 1"), "{page}");
    for word in [
        "yun\\-list",
        "yun\\-completions",
        "yun\\-man",
        "\\-\\-demo",
        "\\-\\-readonly",
    ] {
        assert!(page.contains(word), "{word} missing from:\n{page}");
    }
}

#[test]
fn completions_and_the_man_page_need_no_home() {
    let out = Command::new(env!("CARGO_BIN_EXE_yun"))
        .args(["completions", "fish"])
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.is_empty());
}
