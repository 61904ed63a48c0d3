//! Opt-in: against a real cloud named by `YUN_TEST_OS_CLOUD` (clouds.yaml found the usual way,
//! e.g. through `OS_CLIENT_CONFIG_FILE`). Lists every kind, compares server names with the
//! `openstack` CLI when it is installed (`YUN_TEST_OS_CLI` or `openstack` on the PATH), and drives
//! one server through its lifecycle with `perform`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use yun::backend::openstack::{
    AuthMethod, Discovery, NewServer, OpenStackBackend, OpenStackOptions, Scope, Secret, clouds,
};
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
            .list_noted(kind)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(l.note, None, "{kind:?}");
        let l = l.listing;
        eprintln!("{kind:?}: {}", serde_json::to_string(&l).unwrap().len());
    }
    eprintln!(
        "compute {:?}, volume {:?}, region {:?}, project {:?}",
        b.compute_microversion(),
        b.volume_microversion(),
        b.current_region(),
        b.current_project()
    );
    b.set_all_projects(true);
    if let Err(e) = b.list(ResourceKind::Instances).await {
        // Non-admins may not list every project.
        eprintln!("all projects: {e}");
    }
    b.set_all_projects(false);
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
    let Listing::Overview(o) = b.list(ResourceKind::Overview).await.unwrap() else {
        panic!()
    };
    let names: Vec<&str> = o.quotas.iter().map(|q| q.name.as_str()).collect();
    for want in [
        "instances",
        "cores",
        "ram",
        "volumes",
        "gigabytes",
        "floating_ips",
        "security_groups",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let host = b.host_info().await.unwrap();
    assert!(
        host.hypervisor.starts_with("OpenStack (compute 2."),
        "{}",
        host.hypervisor
    );
    assert!(!b.regions().await.unwrap().is_empty());
    let projects = b.projects().await.unwrap();
    assert!(!projects.is_empty());
    let (pid, _) = b.current_project();
    if let Some(other) = projects.iter().find(|p| p.id != pid) {
        b.switch(None, Some(other.id.clone())).await.unwrap();
        assert_eq!(b.current_project().0, other.id);
        b.list(ResourceKind::Instances).await.unwrap();
        b.list(ResourceKind::Overview).await.unwrap();
    }
}

#[tokio::test]
async fn real_cloud_server_lifecycle_through_perform() {
    let Some(cloud) = cloud() else { return };
    let b = backend(&cloud).await;
    let Listing::Flavors(f) = b.list(ResourceKind::Flavors).await.unwrap() else {
        panic!()
    };
    let Listing::Images(i) = b.list(ResourceKind::Images).await.unwrap() else {
        panic!()
    };
    let Listing::Networks(n) = b.list(ResourceKind::Networks).await.unwrap() else {
        panic!()
    };
    let small = f
        .iter()
        .find(|f| f.name == "m1.small")
        .map(|f| f.id.clone())
        .expect("flavor m1.small");
    let id_of = |found: Option<String>, what: &str| found.unwrap_or_else(|| panic!("no {what}"));
    let new = NewServer {
        name: format!("yun-test-{}", std::process::id()),
        flavor_id: id_of(
            f.into_iter().find(|f| f.name == "m1.tiny").map(|f| f.id),
            "m1.tiny",
        ),
        image_id: id_of(
            i.into_iter()
                .find(|i| i.name == "cirros-tiny")
                .map(|i| i.id),
            "cirros-tiny",
        ),
        network_ids: vec![id_of(
            n.into_iter().find(|n| n.name == "private").map(|n| n.id),
            "private",
        )],
        key_name: None,
    };
    let id = b.create_server(&new).await.unwrap();
    wait_for(&b, &id, "ACTIVE").await;
    let detail = b.instance_detail(&id).await.unwrap();
    assert_eq!(detail.name, new.name);
    assert!(detail.document.contains(&id));
    assert!(
        detail
            .extra
            .iter()
            .any(|(k, v)| k == "image" && v == "cirros-tiny"),
        "{:?}",
        detail.extra
    );
    match b.server_diagnostics(&id).await {
        Ok(d) => eprintln!("diagnostics: {d:?}"),
        Err(e) => assert!(e.to_string().contains("admin role"), "{e}"),
    }
    for (action, want) in [
        (InstanceAction::Pause, "PAUSED"),
        (InstanceAction::Resume, "ACTIVE"),
        (InstanceAction::Shutdown, "SHUTOFF"),
        (InstanceAction::Start, "ACTIVE"),
        (InstanceAction::Reboot, "ACTIVE"),
        (InstanceAction::Suspend, "SUSPENDED"),
        (InstanceAction::Restore, "ACTIVE"),
        (
            InstanceAction::Resize {
                flavor_id: small.clone(),
                flavor_name: "m1.small".into(),
            },
            "VERIFY_RESIZE",
        ),
        (InstanceAction::ConfirmResize, "ACTIVE"),
    ] {
        b.perform(&id, &action)
            .await
            .unwrap_or_else(|e| panic!("{action:?}: {e}"));
        wait_for(&b, &id, want).await;
    }
    let Listing::Instances(v) = b.list(ResourceKind::Instances).await.unwrap() else {
        panic!()
    };
    let inst = v.into_iter().find(|i| i.id == id).unwrap();
    assert_eq!(inst.size.flavor.as_deref(), Some("m1.small"));
    b.perform(&id, &InstanceAction::Lock).await.unwrap();
    let detail = b.instance_detail(&id).await.unwrap();
    assert!(
        detail
            .extra
            .iter()
            .any(|(k, v)| k == "locked" && v == "true"),
        "{:?}",
        detail.extra
    );
    b.perform(&id, &InstanceAction::Unlock).await.unwrap();
    let renamed = format!("{}-renamed", new.name);
    b.perform(
        &id,
        &InstanceAction::Rename {
            name: renamed.clone(),
        },
    )
    .await
    .unwrap();
    b.perform(
        &id,
        &InstanceAction::SetMetadata {
            items: vec![("owner".into(), "yun test".into())],
        },
    )
    .await
    .unwrap();
    let detail = b.instance_detail(&id).await.unwrap();
    assert_eq!(detail.name, renamed);
    assert!(
        detail
            .extra
            .iter()
            .any(|(k, v)| k == "locked" && v == "false")
    );
    assert!(
        detail
            .extra
            .iter()
            .any(|(k, v)| k == "metadata:owner" && v == "yun test")
    );
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

/// Token and application-credential auth against the real Keystone (credentials made with the
/// CLI, deleted afterwards).
#[tokio::test]
async fn real_cloud_token_and_application_credential_auth() {
    let Some(cloud) = cloud() else { return };
    if cli().is_none() {
        return;
    }
    let env: HashMap<String, String> = std::env::vars().collect();
    let base = clouds::load(Some(&cloud), &Discovery::standard(env)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let connect = |config: clouds::CloudConfig| {
        let mut opts = OpenStackOptions::new(config, dir.path().to_path_buf());
        opts.no_token_cache = true;
        OpenStackBackend::connect(opts)
    };

    let issued = cli_json(&cloud, &["token", "issue"]).expect("token issue");
    let mut config = base.clone();
    config.auth = AuthMethod::Token {
        token: Secret::new(issued["id"].as_str().unwrap()),
        scope: Scope::Project {
            id: issued["project_id"].as_str().map(str::to_string),
            name: None,
            domain_id: None,
            domain_name: None,
        },
    };
    let b = connect(config).await.unwrap();
    b.list(ResourceKind::Instances).await.unwrap();

    let name = format!("yun-test-{}", std::process::id());
    let cred = cli_json(&cloud, &["application", "credential", "create", &name])
        .expect("application credential create");
    let mut config = base.clone();
    config.auth = AuthMethod::ApplicationCredential {
        id: cred["ID"]
            .as_str()
            .or(cred["id"].as_str())
            .map(str::to_string),
        name: None,
        username: None,
        user_id: None,
        user_domain_name: None,
        user_domain_id: None,
        secret: Secret::new(cred["Secret"].as_str().or(cred["secret"].as_str()).unwrap()),
    };
    let result = async {
        let b = connect(config).await?;
        b.list(ResourceKind::Flavors).await?;
        Ok::<_, yun::backend::BackendError>(b.switch(None, Some("other".into())).await.is_err())
    }
    .await;
    // Deleting the credential revokes its tokens, so only after using it.
    let _ = Command::new(cli().unwrap())
        .args([
            "--os-cloud",
            &cloud,
            "application",
            "credential",
            "delete",
            &name,
        ])
        .output();
    assert!(
        result.unwrap(),
        "an application credential cannot switch project"
    );
}
