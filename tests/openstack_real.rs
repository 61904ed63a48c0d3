//! Opt-in: against a real cloud named by `YUN_TEST_OS_CLOUD` (clouds.yaml found the usual way,
//! e.g. through `OS_CLIENT_CONFIG_FILE`). Lists every kind, compares server names with the
//! `openstack` CLI when it is installed (`YUN_TEST_OS_CLI` or `openstack` on the PATH), and drives
//! one server through its lifecycle with `perform`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use yun::backend::openstack::{Discovery, OpenStackBackend, OpenStackOptions, clouds};
use yun::backend::{Backend, InstanceAction};
use yun::model::{Listing, ResourceKind};

fn cloud() -> Option<String> {
    std::env::var("YUN_TEST_OS_CLOUD")
        .ok()
        .filter(|s| !s.is_empty())
}

async fn backend(cloud: &str) -> OpenStackBackend {
    let env: HashMap<String, String> = std::env::vars().collect();
    let config = clouds::load(Some(cloud), &Discovery::standard(env)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = OpenStackOptions::new(config, dir.path().to_path_buf());
    opts.no_token_cache = true;
    OpenStackBackend::connect(opts).await.unwrap()
}

fn cli() -> Option<String> {
    let c = std::env::var("YUN_TEST_OS_CLI").unwrap_or_else(|_| "openstack".into());
    Command::new(&c)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| c)
}

fn cli_json(cloud: &str, args: &[&str]) -> Option<Value> {
    let out = Command::new(cli()?)
        .args(["--os-cloud", cloud])
        .args(args)
        .args(["-f", "json"])
        .output()
        .ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

async fn instance_status(b: &OpenStackBackend, id: &str) -> Option<(String, Option<String>)> {
    let Listing::Instances(v) = b.list(ResourceKind::Instances).await.unwrap() else {
        panic!()
    };
    v.into_iter()
        .find(|i| i.id == id)
        .map(|i| (i.status.as_str().to_string(), i.task))
}

async fn wait_for(b: &OpenStackBackend, id: &str, want: &str) {
    let start = Instant::now();
    loop {
        let s = instance_status(b, id).await;
        if let Some((status, None)) = &s
            && status == want
        {
            return;
        }
        if want == "GONE" && s.is_none() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "waiting for {want}, got {s:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test]
async fn real_cloud_lists_every_kind_and_matches_the_cli() {
    let Some(cloud) = cloud() else { return };
    let b = backend(&cloud).await;
    for kind in [
        ResourceKind::Overview,
        ResourceKind::Instances,
        ResourceKind::Flavors,
        ResourceKind::Images,
        ResourceKind::Volumes,
        ResourceKind::Networks,
        ResourceKind::SecurityGroups,
        ResourceKind::FloatingIps,
        ResourceKind::Ports,
    ] {
        let l = b
            .list(kind)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        eprintln!("{kind:?}: {}", serde_json::to_string(&l).unwrap().len());
        assert_eq!(b.skipped_rows(), 0, "{kind:?}");
    }
    let Listing::Flavors(f) = b.list(ResourceKind::Flavors).await.unwrap() else {
        panic!()
    };
    assert!(f.iter().any(|f| f.name == "m1.tiny"));
    let Listing::Networks(n) = b.list(ResourceKind::Networks).await.unwrap() else {
        panic!()
    };
    assert!(n.iter().any(|n| n.name == "private" && !n.cidrs.is_empty()));
    if let Some(Value::Array(rows)) = cli_json(&cloud, &["server", "list"]) {
        let mut cli: Vec<String> = rows
            .iter()
            .filter_map(|r| r.get("Name").and_then(Value::as_str).map(str::to_string))
            .collect();
        let Listing::Instances(v) = b.list(ResourceKind::Instances).await.unwrap() else {
            panic!()
        };
        let mut ours: Vec<String> = v.into_iter().map(|i| i.name).collect();
        cli.sort();
        ours.sort();
        assert_eq!(ours, cli);
    }
    let host = b.host_info().await.unwrap();
    assert!(
        host.hypervisor.starts_with("OpenStack (compute 2."),
        "{}",
        host.hypervisor
    );
    assert!(!b.regions().await.unwrap().is_empty());
    assert!(!b.projects().await.unwrap().is_empty());
}

#[tokio::test]
async fn real_cloud_server_lifecycle_through_perform() {
    let Some(cloud) = cloud() else { return };
    let b = backend(&cloud).await;
    let Some(_) = cli() else {
        eprintln!("no openstack CLI: skipping the lifecycle (it creates the server with the CLI)");
        return;
    };
    let name = format!("yun-test-{}", std::process::id());
    let created = cli_json(
        &cloud,
        &[
            "server",
            "create",
            "--flavor",
            "m1.tiny",
            "--image",
            "cirros-tiny",
            "--network",
            "private",
            &name,
        ],
    )
    .expect("server create");
    let id = created
        .get("id")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    wait_for(&b, &id, "ACTIVE").await;
    let detail = b.instance_detail(&id).await.unwrap();
    assert_eq!(detail.name, name);
    assert!(detail.document.contains(&id));
    for (action, want) in [
        (InstanceAction::Pause, "PAUSED"),
        (InstanceAction::Resume, "ACTIVE"),
        (InstanceAction::Shutdown, "SHUTOFF"),
        (InstanceAction::Start, "ACTIVE"),
    ] {
        b.perform(&id, &action)
            .await
            .unwrap_or_else(|e| panic!("{action:?}: {e}"));
        wait_for(&b, &id, want).await;
    }
    b.perform(
        &id,
        &InstanceAction::Delete {
            delete_volumes: false,
        },
    )
    .await
    .unwrap();
    wait_for(&b, &id, "GONE").await;
}
