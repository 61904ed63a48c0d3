//! What an OpenStack cloud offers (its actions, kinds, columns, sub-views) and the `openstack`
//! (python-openstackclient) command line of each change.

use std::sync::Arc;

use crate::backend::actions::shell_quote;
use crate::backend::{
    Capabilities, CommandText, CreateSpec, InstanceAction, InstanceDetailLayout, KindOffer,
    OverviewSection, ScopeKind,
};
use crate::model::ResourceKind;

/// What the cloud `cloud` (its name in clouds.yaml) offers; in read-only mode no action at all.
pub fn capabilities(cloud: &str, readonly: bool) -> Capabilities {
    Capabilities {
        readonly,
        kinds: kinds(),
        overview: OVERVIEW.to_vec(),
        instance_detail: InstanceDetailLayout::Properties,
        actions: if readonly {
            Vec::new()
        } else {
            instance_actions()
        },
        documents: Vec::new(),
        scopes: vec![
            ScopeKind::Region,
            ScopeKind::Project,
            ScopeKind::AllProjects,
        ],
        creates: Vec::new(),
        console_url: true,
        memory_stats_touch_guest: false,
        pushes_instance_changes: false,
        commands: Arc::new(OpenStackCommands::new(cloud)),
    }
}

/// The actions a cloud offers, in menu order.
pub fn instance_actions() -> Vec<InstanceAction> {
    vec![
        InstanceAction::Start,
        InstanceAction::Shutdown,
        InstanceAction::Reboot,
        InstanceAction::Reset,
        InstanceAction::Pause,
        InstanceAction::Resume,
        InstanceAction::Suspend,
        InstanceAction::Restore,
        InstanceAction::Lock,
        InstanceAction::Unlock,
        InstanceAction::Snapshot {
            name: String::new(),
        },
        InstanceAction::Resize {
            flavor_id: String::new(),
            flavor_name: String::new(),
        },
        InstanceAction::ConfirmResize,
        InstanceAction::RevertResize,
        InstanceAction::Rename {
            name: String::new(),
        },
        InstanceAction::SetMetadata { items: Vec::new() },
        InstanceAction::Delete {
            delete_volumes: false,
        },
    ]
}

/// The kinds a cloud lists, the columns of each (ids of `app::columns`), and the Networks
/// tab's sub-views.
pub fn kinds() -> Vec<KindOffer> {
    use ResourceKind as K;
    vec![
        KindOffer::new(K::Overview, &[]),
        KindOffer::new(
            K::Instances,
            &[
                "name",
                "addresses",
                "size",
                "status",
                "task",
                "power",
                "image",
                "key_pair",
                "az",
                "age",
            ],
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
                "swap",
                "public",
            ],
        ),
        KindOffer::new(
            K::Images,
            &[
                "name",
                "status",
                "visibility",
                "format",
                "size",
                "min_disk",
                "min_ram",
                "age",
            ],
        ),
        KindOffer::new(
            K::Volumes,
            &[
                "name",
                "status",
                "size",
                "type",
                "bootable",
                "attached_wide",
                "az",
            ],
        ),
        KindOffer::new(
            K::Networks,
            &["name", "subnets", "status", "shared", "external"],
        )
        .with_sub_views(&[K::SecurityGroups, K::FloatingIps, K::Ports]),
        KindOffer::new(K::SecurityGroups, &[]),
        KindOffer::new(K::FloatingIps, &[]),
        KindOffer::new(K::Ports, &[]),
    ]
}

pub const OVERVIEW: [OverviewSection; 2] = [OverviewSection::Quotas, OverviewSection::Instances];

/// `openstack --os-cloud CLOUD …`.
#[derive(Clone, Debug)]
pub struct OpenStackCommands {
    cloud: String,
}

impl OpenStackCommands {
    pub fn new(cloud: impl Into<String>) -> Self {
        Self {
            cloud: cloud.into(),
        }
    }
}

impl CommandText for OpenStackCommands {
    fn instance_action(&self, _id: &str, name: &str, action: &InstanceAction) -> String {
        openstack_command(&self.cloud, name, action)
    }

    fn edit_document(&self, _id: &str, name: &str) -> String {
        format!(
            "openstack --os-cloud {} server set {}",
            shell_quote(&self.cloud),
            shell_quote(name)
        )
    }

    fn create(&self, spec: &CreateSpec) -> String {
        let verb = match spec {
            CreateSpec::Volume(v) => format!(
                "volume create --size {} {}",
                v.capacity_bytes.div_ceil(1 << 30),
                shell_quote(&v.name)
            ),
        };
        format!("openstack --os-cloud {} {verb}", shell_quote(&self.cloud))
    }
}

/// The `openstack` command line of an instance action.
pub fn openstack_command(cloud: &str, name: &str, action: &InstanceAction) -> String {
    use InstanceAction as A;
    let q = shell_quote(name);
    let verb = match action {
        A::Start => format!("server start {q}"),
        A::Restore => format!("server resume {q}"),
        A::Shutdown | A::ForceOff => format!("server stop {q}"),
        A::Reboot => format!("server reboot --soft {q}"),
        A::Reset => format!("server reboot --hard {q}"),
        A::Pause => format!("server pause {q}"),
        A::Resume => format!("server unpause {q}"),
        A::Suspend => format!("server suspend {q}"),
        A::Delete { .. } => format!("server delete {q}"),
        A::SetAutostart(_) => format!("server show {q}"),
        A::Lock => format!("server lock {q}"),
        A::Unlock => format!("server unlock {q}"),
        A::Snapshot { name: image } => {
            format!("server image create --name {} {q}", shell_quote(image))
        }
        A::Resize { flavor_name, .. } => {
            format!("server resize --flavor {} {q}", shell_quote(flavor_name))
        }
        A::ConfirmResize => format!("server resize confirm {q}"),
        A::RevertResize => format!("server resize revert {q}"),
        A::Rename { name: new } => format!("server set --name {} {q}", shell_quote(new)),
        A::SetMetadata { items } => {
            let props: Vec<String> = items
                .iter()
                .map(|(k, v)| format!("--property {}", shell_quote(&format!("{k}={v}"))))
                .collect();
            format!("server set {} {q}", props.join(" "))
        }
    };
    format!("openstack --os-cloud {} {verb}", shell_quote(cloud))
}
