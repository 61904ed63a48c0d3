//! The real `yun` binary in tmux, ended by a signal on each of its screens: the table, an
//! instance's detail and the password prompt of a cloud. Every time the shell gets yun's exit
//! status 128 + the signal's number, and a terminal that is sane again: echo and canonical
//! input on, off the alternate screen, no yun left.

#![allow(clippy::unwrap_used, clippy::panic)]

mod tmux;

use tmux::Tmux;

/// The Instances table of the demo host once it has loaded.
const INSTANCES_TITLE: &str = "┌ Instances (14)";

fn exit_code(signal: &str) -> u8 {
    match signal {
        "HUP" => 129,
        "INT" => 130,
        "QUIT" => 131,
        "ABRT" => 134,
        "USR1" => 138,
        "USR2" => 140,
        "TERM" => 143,
        other => panic!("no exit code for {other}"),
    }
}

fn on_table(name: &str) -> Tmux {
    let t = Tmux::start(name);
    t.start_yun(&[]);
    t.wait_for_text(INSTANCES_TITLE);
    t
}

fn on_detail(name: &str) -> Tmux {
    let t = on_table(name);
    t.type_text("/web-01");
    t.wait_for_text("Instances (1/14)");
    t.keys(&["Enter"]);
    t.keys(&["Enter"]);
    t.wait_for_text("x: show XML");
    t
}

/// A cloud whose clouds.yaml has no password, so yun asks for one. Its auth URL is a closed
/// port on 127.0.0.1: the test never gets that far.
fn at_password_prompt(name: &str) -> Tmux {
    let t = Tmux::start(name);
    let clouds = t.state_dir.join("clouds.yaml");
    std::fs::write(
        &clouds,
        "clouds:\n  nopw:\n    auth:\n      auth_url: http://127.0.0.1:9/\n      \
         username: demo\n      project_name: demo\n      user_domain_name: Default\n      \
         project_domain_name: Default\n",
    )
    .unwrap();
    let cache = t.state_dir.join("cache");
    t.start_yun_with(
        &[
            ("OS_CLIENT_CONFIG_FILE", clouds.to_str().unwrap()),
            ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ],
        &["--cloud", "nopw"],
    );
    t.wait_for_text("Password for nopw:");
    t
}

fn killed(t: &Tmux, signal: &str) {
    let pid = t.yun_pid();
    t.kill(signal, pid);
    t.assert_restored(pid, exit_code(signal));
}

macro_rules! kill_matrix {
    ($($test:ident: $screen:ident, $signal:literal;)*) => {
        $(
            #[test]
            fn $test() {
                let t = $screen(stringify!($test));
                killed(&t, $signal);
            }
        )*
    };
}

kill_matrix! {
    table_term: on_table, "TERM";
    table_int: on_table, "INT";
    table_hup: on_table, "HUP";
    table_quit: on_table, "QUIT";
    table_usr1: on_table, "USR1";
    table_usr2: on_table, "USR2";
    table_abrt: on_table, "ABRT";
    detail_term: on_detail, "TERM";
    detail_int: on_detail, "INT";
    detail_hup: on_detail, "HUP";
    detail_quit: on_detail, "QUIT";
    detail_usr1: on_detail, "USR1";
    prompt_term: at_password_prompt, "TERM";
    prompt_int: at_password_prompt, "INT";
    prompt_hup: at_password_prompt, "HUP";
    prompt_quit: at_password_prompt, "QUIT";
    prompt_usr1: at_password_prompt, "USR1";
    prompt_abrt: at_password_prompt, "ABRT";
}

#[test]
fn ctrl_c_at_the_password_prompt_restores_echo() {
    let t = at_password_prompt("prompt-ctrl-c");
    let pid = t.yun_pid();
    t.type_text("half-typed");
    t.keys(&["C-c"]);
    t.assert_restored(pid, 130);
    assert!(
        !t.capture().contains("half-typed"),
        "the password was echoed\n{}",
        t.capture()
    );
}

/// A Keystone on 127.0.0.1 that records every request and refuses it (401).
fn refusing_keystone() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v3", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then as many body bytes as Content-Length says.
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&request).to_string());
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\
                  Content-Length: 2\r\nConnection: close\r\n\r\n{}",
            );
        }
    });
    (url, rx)
}

#[test]
fn the_password_typed_at_the_prompt_is_sent_unechoed_and_the_terminal_is_sane() {
    let t = Tmux::start("prompt-typed");
    let (url, requests) = refusing_keystone();
    let clouds = t.state_dir.join("clouds.yaml");
    std::fs::write(
        &clouds,
        format!(
            "clouds:\n  kc:\n    auth:\n      auth_url: {url}\n      username: demo\n      \
             project_name: demo\n      user_domain_name: Default\n      \
             project_domain_name: Default\n"
        ),
    )
    .unwrap();
    let cache = t.state_dir.join("cache");
    t.start_yun_with(
        &[
            ("OS_CLIENT_CONFIG_FILE", clouds.to_str().unwrap()),
            ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ],
        &["--cloud", "kc", "--no-token-cache", "list", "instances"],
    );
    t.wait_for_text("Password for kc:");
    let pid = t.yun_pid();
    t.type_text("pa ss-wörd");
    t.keys(&["Enter"]);
    t.assert_restored(pid, 1);
    let screen = t.capture();
    assert!(
        !screen.contains("pa ss"),
        "the password was echoed\n{screen}"
    );
    assert!(screen.contains("cannot connect to cloud kc"), "{screen}");
    let seen: Vec<String> = requests.try_iter().collect();
    assert!(
        seen.iter()
            .any(|r| r.starts_with("POST /v3/auth/tokens") && r.contains("\"pa ss-wörd\"")),
        "{seen:?}"
    );
}
