//! What each backend's capabilities make of the screens: the column ids it lists are all in the
//! column table, and the keymap keeps exactly the bindings whose needs it offers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use yun::app::columns;
use yun::app::keymap::Keymap;
use yun::backend::{Capabilities, libvirt, openstack};
use yun::model::ResourceKind as K;

fn host() -> Capabilities {
    libvirt::capabilities("test:///default", false)
}

fn cloud() -> Capabilities {
    openstack::commands::capabilities("c", false)
}

#[test]
fn every_column_a_backend_lists_is_in_the_column_table() {
    for caps in [host(), cloud()] {
        for kind in [K::Instances, K::Flavors, K::Images, K::Volumes, K::Networks] {
            let ids = caps.columns(kind);
            let found = match kind {
                K::Instances => columns::instances(ids).len(),
                K::Flavors => columns::flavors(ids).len(),
                K::Images => columns::images(ids).len(),
                K::Volumes => columns::volumes(ids).len(),
                _ => columns::networks(ids).len(),
            };
            assert!(!ids.is_empty(), "{kind:?}");
            assert_eq!(found, ids.len(), "{kind:?}: {ids:?}");
        }
    }
}

#[test]
fn bindings_follow_what_the_backend_offers() {
    let ids = |caps: &Capabilities| -> Vec<&'static str> {
        Keymap::new(caps).bindings.iter().map(|b| b.id).collect()
    };
    let (host, cloud) = (ids(&host()), ids(&cloud()));
    for id in [
        "instance.lock",
        "instance.resize",
        "instance.metadata",
        "table.next_view",
        "instance.reveal_token",
    ] {
        assert!(!host.contains(&id), "{id} where it is not offered");
        assert!(cloud.contains(&id), "{id} missing where it is offered");
    }
    assert!(host.contains(&"instance.pause") && cloud.contains(&"instance.pause"));
    // Read-only: the needs of the kept bindings still count, mutations go.
    let ro = ids(&libvirt::capabilities("test:///default", true));
    assert!(!ro.contains(&"instance.pause") && !ro.contains(&"table.next_view"));
    assert!(ro.contains(&"instance.console"));
}

#[test]
fn each_backend_writes_its_own_equivalent_commands() {
    use yun::backend::{CreateSpec, InstanceAction, VolumeFormat, VolumeSpec};
    assert_eq!(
        host().action_command("uuid", "web 01", &InstanceAction::Pause),
        "virsh -c test:///default suspend 'web 01'"
    );
    assert_eq!(
        cloud().action_command("uuid", "web 01", &InstanceAction::Pause),
        "openstack --os-cloud c server pause 'web 01'"
    );
    assert_eq!(
        host().commands.console_argv("uuid"),
        Some(vec![
            "virsh".into(),
            "-c".into(),
            "test:///default".into(),
            "console".into(),
            "uuid".into()
        ])
    );
    assert_eq!(cloud().commands.console_argv("uuid"), None);
    let spec = CreateSpec::Volume(VolumeSpec {
        name: "d".into(),
        pool: "p".into(),
        capacity_bytes: 1 << 20,
        format: VolumeFormat::Raw,
    });
    assert!(host().can_create(K::Volumes) && !cloud().can_create(K::Volumes));
    assert!(
        host()
            .commands
            .create(&spec)
            .contains("vol-create-as --pool p --name d")
    );
}
