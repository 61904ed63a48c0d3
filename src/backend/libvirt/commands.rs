//! What a libvirt host offers (its actions, kinds, columns) and the `virsh` command line of each
//! change, shown in confirmations and written to the audit log.

use std::sync::Arc;

use crate::backend::actions::{shell_join, shell_quote};
use crate::backend::{
    Capabilities, CommandText, CreateSpec, InstanceAction, InstanceDetailLayout, KindOffer,
    OverviewSection,
};
use crate::model::ResourceKind;

/// What a host at `uri` offers; in read-only mode no action at all.
pub fn capabilities(uri: &str, readonly: bool) -> Capabilities {
    Capabilities {
        readonly,
        kinds: kinds(),
        overview: OVERVIEW.to_vec(),
        instance_detail: InstanceDetailLayout::Devices,
        actions: if readonly {
            Vec::new()
        } else {
            instance_actions()
        },
        documents: vec![ResourceKind::Instances],
        scopes: Vec::new(),
        creates: vec![ResourceKind::Volumes],
        console_url: false,
        memory_stats_touch_guest: true,
        pushes_instance_changes: false,
        commands: Arc::new(VirshCommands::new(uri)),
    }
}

/// The actions a libvirt host offers, in menu order.
pub fn instance_actions() -> Vec<InstanceAction> {
    vec![
        InstanceAction::Start,
        InstanceAction::Shutdown,
        InstanceAction::ForceOff,
        InstanceAction::Reboot,
        InstanceAction::Reset,
        InstanceAction::Pause,
        InstanceAction::Resume,
        InstanceAction::Suspend,
        InstanceAction::Restore,
        InstanceAction::Delete {
            delete_volumes: false,
        },
        InstanceAction::SetAutostart(true),
        InstanceAction::SetAutostart(false),
        InstanceAction::Snapshot {
            name: String::new(),
        },
        InstanceAction::Rename {
            name: String::new(),
        },
    ]
}

/// The kinds a host lists and the columns of each (ids of `app::columns`).
pub fn kinds() -> Vec<KindOffer> {
    use ResourceKind as K;
    vec![
        KindOffer::new(K::Overview, &[]),
        KindOffer::new(
            K::Instances,
            &["name", "addresses", "size", "status", "task", "power"],
        ),
        KindOffer::new(
            K::Flavors,
            &[
                "id",
                "name",
                "vcpus",
                "ram",
                "root_disk",
                "ephemeral",
                "fits",
            ],
        ),
        KindOffer::new(
            K::Images,
            &[
                "name",
                "format",
                "virtual_size",
                "allocation",
                "pool",
                "path",
                "used_by",
            ],
        ),
        KindOffer::new(
            K::Volumes,
            &[
                "name",
                "pool",
                "format",
                "capacity",
                "allocation",
                "attached",
                "path",
            ],
        ),
        KindOffer::new(
            K::Networks,
            &[
                "name",
                "active",
                "autostart",
                "forward",
                "bridge",
                "addresses",
                "dhcp_range",
                "leases",
            ],
        ),
    ]
}

pub const OVERVIEW: [OverviewSection; 5] = [
    OverviewSection::Host,
    OverviewSection::Instances,
    OverviewSection::Allocation,
    OverviewSection::Pools,
    OverviewSection::Top,
];

/// `virsh -c URI …`.
#[derive(Clone, Debug)]
pub struct VirshCommands {
    uri: String,
}

impl VirshCommands {
    pub fn new(uri: impl Into<String>) -> Self {
        Self { uri: uri.into() }
    }
}

impl CommandText for VirshCommands {
    fn instance_action(&self, _id: &str, name: &str, action: &InstanceAction) -> String {
        virsh_command(&self.uri, name, action)
    }

    fn edit_document(&self, _id: &str, name: &str) -> String {
        format!(
            "virsh -c {} edit {}",
            shell_quote(&self.uri),
            shell_quote(name)
        )
    }

    fn create(&self, spec: &CreateSpec) -> String {
        match spec {
            CreateSpec::Volume(v) => format!(
                "virsh -c {} vol-create-as --pool {} --name {} --capacity {}b --format {}",
                shell_quote(&self.uri),
                shell_quote(&v.pool),
                shell_quote(&v.name),
                v.capacity_bytes,
                v.format.as_str()
            ),
        }
    }

    fn console_argv(&self, id: &str) -> Option<Vec<String>> {
        Some(virsh_console_argv(&self.uri, id))
    }
}

/// The equivalent `virsh` command line of an instance action.
pub fn virsh_command(uri: &str, name: &str, action: &InstanceAction) -> String {
    use InstanceAction as A;
    let verb = match action {
        A::Start | A::Restore => "start".to_string(),
        A::Shutdown => "shutdown --mode acpi".to_string(),
        A::ForceOff => "destroy".to_string(),
        A::Reboot => "reboot".to_string(),
        A::Reset => "reset".to_string(),
        A::Pause => "suspend".to_string(),
        A::Resume => "resume".to_string(),
        A::Suspend => "managedsave".to_string(),
        A::Delete { delete_volumes } => {
            if *delete_volumes {
                "undefine --managed-save --snapshots-metadata --remove-all-storage".to_string()
            } else {
                "undefine --managed-save --snapshots-metadata".to_string()
            }
        }
        A::SetAutostart(true) => "autostart".to_string(),
        A::SetAutostart(false) => "autostart --disable".to_string(),
        A::Snapshot { name } => format!("snapshot-create-as --name {}", shell_quote(name)),
        A::Rename { name } => format!("domrename --new-name {}", shell_quote(name)),
        A::Lock
        | A::Unlock
        | A::Resize { .. }
        | A::ConfirmResize
        | A::RevertResize
        | A::SetMetadata { .. } => "dominfo".to_string(),
    };
    format!("virsh -c {} {verb} {}", shell_quote(uri), shell_quote(name))
}

/// The command that attaches the serial console of a libvirt domain, as an argument list. The
/// domain goes by its UUID: a name may start with `-` (an option to virsh) or hold spaces.
pub fn virsh_console_argv(uri: &str, uuid: &str) -> Vec<String> {
    ["virsh", "-c", uri, "console", uuid]
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// The console command as one line, for the detail view.
pub fn virsh_console_line(uri: &str, uuid: &str) -> String {
    shell_join(&virsh_console_argv(uri, uuid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{VolumeFormat, VolumeSpec};

    #[test]
    fn console_command_is_an_argument_list_by_uuid() {
        let argv = virsh_console_argv("qemu+ssh://root@h/system?x=a b", "1b4e28ba-2fa1-11d2");
        assert_eq!(
            argv,
            [
                "virsh",
                "-c",
                "qemu+ssh://root@h/system?x=a b",
                "console",
                "1b4e28ba-2fa1-11d2"
            ]
        );
        assert_eq!(
            shell_join(&argv),
            "virsh -c 'qemu+ssh://root@h/system?x=a b' console 1b4e28ba-2fa1-11d2"
        );
    }

    #[test]
    fn virsh_command_quotes_odd_names() {
        let cmd = virsh_command("qemu:///system", "my vm", &InstanceAction::ForceOff);
        assert_eq!(cmd, "virsh -c qemu:///system destroy 'my vm'");
    }

    #[test]
    fn volume_create_is_vol_create_as_in_bytes() {
        let spec = CreateSpec::Volume(VolumeSpec {
            name: "data 1".into(),
            pool: "default".into(),
            capacity_bytes: 1 << 30,
            format: VolumeFormat::Qcow2,
        });
        assert_eq!(
            VirshCommands::new("test:///default").create(&spec),
            "virsh -c test:///default vol-create-as --pool default --name 'data 1' \
             --capacity 1073741824b --format qcow2"
        );
    }
}
