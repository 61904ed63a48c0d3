//! `e` on an instance of the demo host, with `$EDITOR` a script that records what it was given:
//! the domain XML (which may carry graphics passwords) is written into a fresh private
//! directory, never at the old predictable name in the shared temp directory, and a symlink
//! planted at that old name is left alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod tmux;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tmux::Tmux;

/// Removes the planted symlink whatever the outcome.
struct Planted(PathBuf);

impl Drop for Planted {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn record(lines: &str, key: &str) -> Vec<String> {
    lines
        .lines()
        .filter_map(|l| l.strip_prefix(key))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_editor_gets_a_file_in_a_private_directory_and_a_planted_symlink_is_untouched() {
    let t = Tmux::start("editor");
    let work = t.state_dir.join("editor-test");
    std::fs::create_dir_all(&work).unwrap();
    let record_file = work.join("record");
    let script = work.join("editor.sh");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
rec='{rec}'
: > "$rec"
for a in "$@"; do printf 'ARG:%s\n' "$a" >> "$rec"; done
for f in "$@"; do :; done
printf 'PATH:%s\n' "$f" >> "$rec"
printf 'DIRMODE:%s\n' "$(stat -c %a "$(dirname "$f")")" >> "$rec"
printf 'FILEMODE:%s\n' "$(stat -c %a "$f")" >> "$rec"
if [ -L "$f" ]; then echo 'SYMLINK:yes' >> "$rec"; fi
printf 'NAMES:%s\n' "$(grep -c '<name>web-01</name>' "$f")" >> "$rec"
"#,
            rec = record_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();

    // An editor with arguments: run through the shell, they arrive as separate words.
    let editor = format!("{} --wait -n", script.display());
    t.start_yun_with(&[("EDITOR", &editor)], &["--demo"]);
    t.wait_for_text("┌ Instances (14)");
    let pid = t.yun_pid();

    // What an attacker would plant for this process under the old naming scheme.
    let victim = work.join("victim");
    std::fs::write(&victim, "victim\n").unwrap();
    let old_name = Path::new("/tmp").join(format!("yun-edit-{pid}-web-01.xml"));
    let _ = std::fs::remove_file(&old_name);
    std::os::unix::fs::symlink(&victim, &old_name).unwrap();
    let _planted = Planted(old_name.clone());

    t.type_text("/web-01");
    t.wait_for_text("Instances (1/14)");
    t.keys(&["Enter", "e"]);
    t.wait_for_text("web-01: XML not changed");

    let recorded = std::fs::read_to_string(&record_file).unwrap();
    let args = record(&recorded, "ARG:");
    assert_eq!(args.len(), 3, "{recorded}");
    assert_eq!(&args[..2], ["--wait", "-n"], "{recorded}");
    let path = PathBuf::from(&record(&recorded, "PATH:")[0]);
    assert_ne!(path, old_name);
    let dir = path.parent().unwrap();
    assert_ne!(dir, Path::new("/tmp"), "{recorded}");
    assert!(
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("yun-edit-"),
        "{recorded}"
    );
    assert_eq!(record(&recorded, "DIRMODE:"), ["700"], "{recorded}");
    assert_eq!(record(&recorded, "FILEMODE:"), ["600"], "{recorded}");
    assert!(record(&recorded, "SYMLINK:").is_empty(), "{recorded}");
    assert_eq!(
        record(&recorded, "NAMES:"),
        ["1"],
        "the domain XML\n{recorded}"
    );
    // Removed afterwards.
    assert!(!dir.exists(), "{} left behind", dir.display());

    // The planted link and its target are as they were.
    assert_eq!(std::fs::read_link(&old_name).unwrap(), victim);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim\n");
}
