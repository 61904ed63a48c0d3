//! The one mutation path: every change the worker runs is recorded in the audit log, a change
//! that could not be recorded is not made, and `yun audit` prints what was recorded. Run
//! against libvirt's test driver (a private host file per test, so tests do not share state).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use yun::audit::{self, AuditLog, Outcome};
use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};
use yun::backend::worker::{self, BackendEvent, BackendRequest, Recorder};
use yun::backend::{Backend, BackendError, InstanceAction};
use yun::model::{InstanceStatus, Listing, ResourceKind};

/// The demo host, written into `dir`: each test gets its own domains.
fn host_uri(dir: &Path) -> String {
    yun::startup::demo_uri(dir).unwrap()
}

fn backend(uri: &str, readonly: bool) -> Arc<LibvirtBackend> {
    Arc::new(
        LibvirtBackend::connect(LibvirtOptions {
            uri: uri.into(),
            readonly,
            flavors: vec![],
            image_pools: vec!["images".into()],
        })
        .unwrap(),
    )
}

async fn running_instance(b: &LibvirtBackend) -> (String, String) {
    let Listing::Instances(list) = b.list(ResourceKind::Instances).await.unwrap() else {
        panic!("not instances")
    };
    let i = list
        .iter()
        .find(|i| i.status == InstanceStatus::Active)
        .expect("a running instance");
    (i.id.clone(), i.name.clone())
}

async fn status_of(b: &LibvirtBackend, id: &str) -> InstanceStatus {
    let Listing::Instances(list) = b.list(ResourceKind::Instances).await.unwrap() else {
        panic!("not instances")
    };
    list.into_iter().find(|i| i.id == id).unwrap().status
}

/// Send one request through a fresh worker and wait for the action's answer, collecting the
/// notes sent on the way.
async fn perform(
    b: Arc<LibvirtBackend>,
    recorder: Recorder,
    id: &str,
    name: &str,
    action: InstanceAction,
) -> (Result<(), BackendError>, Vec<String>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let requests = worker::spawn(b, yun::backend::ConnectionId::FIRST, tx, recorder);
    requests
        .send(BackendRequest::Perform {
            id: id.into(),
            name: name.into(),
            action,
        })
        .unwrap();
    let mut notes = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an answer")
            .expect("the worker runs")
            .event
        {
            BackendEvent::ActionFinished { result, .. } => return (result, notes),
            BackendEvent::Warning(n) => notes.push(n),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_change_is_recorded_once_with_its_connection_and_command() {
    let dir = tempfile::tempdir().unwrap();
    let uri = host_uri(dir.path());
    let b = backend(&uri, false);
    let (id, name) = running_instance(&b).await;
    let log = AuditLog::in_dir(&dir.path().join("state"), true);
    let recorder = Recorder::new(log.clone(), uri.clone());
    let (result, notes) = perform(b.clone(), recorder, &id, &name, InstanceAction::Pause).await;
    result.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(status_of(&b, &id).await, InstanceStatus::Paused);

    let (records, unreadable) = audit::read(log.path()).unwrap();
    assert_eq!((records.len(), unreadable), (1, 0));
    let r = &records[0];
    assert_eq!(
        (
            r.kind.as_str(),
            r.id.as_str(),
            r.name.as_str(),
            r.action.as_str()
        ),
        ("instance", id.as_str(), name.as_str(), "pause")
    );
    assert_eq!(r.connection, uri);
    assert_eq!(r.result, Outcome::Ok);
    assert!(
        r.command.starts_with("virsh -c ") && r.command.contains(" suspend "),
        "{}",
        r.command
    );
    assert!(!r.user.is_empty());
}

#[tokio::test]
async fn a_failed_change_is_recorded_with_the_backends_error() {
    let dir = tempfile::tempdir().unwrap();
    let uri = host_uri(dir.path());
    let b = backend(&uri, false);
    let (id, name) = running_instance(&b).await;
    let log = AuditLog::in_dir(dir.path(), true);
    // Resuming a running domain is refused by libvirt.
    let (result, _) = perform(
        b,
        Recorder::new(log.clone(), uri),
        &id,
        &name,
        InstanceAction::Resume,
    )
    .await;
    let error = result.unwrap_err().to_string();
    let (records, _) = audit::read(log.path()).unwrap();
    assert_eq!(records[0].result, Outcome::Error);
    assert_eq!(records[0].error.as_deref(), Some(error.as_str()));
}

#[tokio::test]
async fn a_change_that_cannot_be_recorded_is_not_made() {
    let dir = tempfile::tempdir().unwrap();
    let uri = host_uri(dir.path());
    let b = backend(&uri, false);
    let (id, name) = running_instance(&b).await;
    // The state directory is a file: nothing can be created under it.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, "").unwrap();
    let required = Recorder::new(AuditLog::in_dir(&blocked, true), uri.clone());
    let (result, _) = perform(b.clone(), required, &id, &name, InstanceAction::Pause).await;
    let Err(BackendError::Refused(why)) = result else {
        panic!("expected a refusal, got {result:?}")
    };
    assert!(
        why.contains("blocked") && why.contains("required = false"),
        "{why}"
    );
    assert_eq!(status_of(&b, &id).await, InstanceStatus::Active);

    // Optional: the change goes ahead, with a warning saying it was not recorded.
    let optional = Recorder::new(AuditLog::in_dir(&blocked, false), uri);
    let (result, notes) = perform(b.clone(), optional, &id, &name, InstanceAction::Pause).await;
    result.unwrap();
    assert_eq!(status_of(&b, &id).await, InstanceStatus::Paused);
    assert!(notes.iter().any(|n| n.contains("unrecorded")), "{notes:?}");
}

#[tokio::test]
async fn read_only_refusals_change_nothing_and_record_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let uri = host_uri(dir.path());
    let b = backend(&uri, true);
    let (id, name) = running_instance(&b).await;
    let log = AuditLog::in_dir(dir.path(), true);
    let (result, _) = perform(
        b,
        Recorder::new(log.clone(), uri),
        &id,
        &name,
        InstanceAction::Pause,
    )
    .await;
    assert_eq!(result, Err(BackendError::ReadOnly));
    assert!(!log.path().exists());
}

#[tokio::test]
async fn yun_audit_prints_json_table_csv_and_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let uri = host_uri(dir.path());
    let b = backend(&uri, false);
    let (id, name) = running_instance(&b).await;
    let state = dir.path().join("state");
    let log = AuditLog::in_dir(&state, true);
    for action in [InstanceAction::Pause, InstanceAction::Resume] {
        perform(
            b.clone(),
            Recorder::new(log.clone(), uri.clone()),
            &id,
            &name,
            action,
        )
        .await
        .0
        .unwrap();
    }
    let yun = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_yun"))
            .args(args)
            .env("YUN_STATE_DIR", &state)
            .env("YUN_CONFIG_DIR", dir.path().join("config"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&yun(&["audit", "-o", "json"])).unwrap();
    let actions: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["resume", "pause"], "newest first");
    let table = yun(&["audit"]);
    assert!(table.lines().next().unwrap().starts_with("Time"));
    assert_eq!(table.lines().count(), 3);
    let csv = yun(&["audit", "-o", "csv"]);
    assert!(csv.lines().nth(1).unwrap().contains(",resume,ok,"));
    let script = yun(&["audit", "--as-script"]);
    let commands: Vec<&str> = script.lines().filter(|l| l.starts_with("virsh")).collect();
    assert_eq!(commands.len(), 2);
    assert!(commands[0].contains(" suspend ") && commands[1].contains(" resume "));
}
