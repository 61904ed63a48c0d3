//! Attaching the serial console from the real `yun` binary in tmux, with a `virsh` on PATH that
//! records its arguments: the domain goes by its UUID as one argument (its name holds a space),
//! and yun comes back to its table when the command ends, even at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod tmux;

use std::os::unix::fs::PermissionsExt;

use tmux::Tmux;

const UUID: &str = "22222222-0000-4000-8000-000000000001";

#[test]
fn the_console_runs_virsh_with_the_uuid_and_yun_comes_back() {
    let t = Tmux::start("console");
    let work = t.state_dir.join("console-test");
    let bin = work.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let host = work.join("host.xml");
    std::fs::write(
        &host,
        format!(
            "<node><cpu><mhz>2400</mhz><model>x86_64</model><active>2</active><nodes>1</nodes>\
             <sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>\
             <memory>4194304</memory><domain type='test'><name>web 01</name>\
             <uuid>{UUID}</uuid><memory unit='MiB'>512</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices><serial type='pty'>\
             <target port='0'/></serial></devices></domain></node>"
        ),
    )
    .unwrap();
    let record = work.join("virsh-args");
    let virsh = bin.join("virsh");
    std::fs::write(
        &virsh,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&virsh, std::fs::Permissions::from_mode(0o755)).unwrap();

    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let uri = format!("test://{}", host.display());
    t.start_yun_with(&[("PATH", &path)], &["-c", &uri]);
    t.wait_for_text("┌ Instances (1)");
    t.keys(&["c"]);
    t.wait_until("the console popup with the quoted command", |s| {
        s.contains("Serial console:") && s.contains(UUID)
    });
    t.keys(&["Enter"]);
    // Back on the table, not ended by a lost cursor-position answer.
    t.wait_until("the table again", |s| {
        s.contains("┌ Instances (1)") && !s.contains("Serial console:")
    });
    let pid = t.yun_pid();
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        format!("[-c]\n[{uri}]\n[console]\n[{UUID}]\n")
    );
    t.keys(&["q"]);
    t.assert_restored(pid, 0);
}
