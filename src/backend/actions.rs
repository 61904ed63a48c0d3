//! Instance actions: what each one is, in which states it makes sense (Horizon's per-action
//! `allowed()` rules), whether it needs confirmation, and the task label shown while it runs.

use serde::Serialize;

use crate::model::{Instance, InstanceStatus};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum InstanceAction {
    Start,
    /// Graceful ACPI shutdown.
    Shutdown,
    /// Immediate power off (`virsh destroy`).
    ForceOff,
    /// Graceful reboot.
    Reboot,
    /// Hard reset.
    Reset,
    Pause,
    Resume,
    /// Save the memory to disk and stop (libvirt managed save).
    Suspend,
    /// Start from the managed save image.
    Restore,
    Delete {
        /// Also delete the storage volumes the instance's disks use.
        delete_volumes: bool,
    },
    SetAutostart(bool),
    /// Cloud only: forbid (or allow again) actions by non-admins.
    Lock,
    Unlock,
    /// Create a snapshot image of the instance (快照).
    Snapshot {
        name: String,
    },
    /// Resize to another flavor (升级); the cloud then waits for confirm or revert.
    Resize {
        flavor_id: String,
        flavor_name: String,
    },
    ConfirmResize,
    RevertResize,
    /// Rename (编辑).
    Rename {
        name: String,
    },
    /// Set metadata keys (编辑).
    SetMetadata {
        items: Vec<(String, String)>,
    },
}

impl InstanceAction {
    /// Stable identifier, used in keymaps, logs and `:` commands.
    pub fn id(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Shutdown => "shutdown",
            Self::ForceOff => "force-off",
            Self::Reboot => "reboot",
            Self::Reset => "reset",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Suspend => "suspend",
            Self::Restore => "restore",
            Self::Delete { .. } => "delete",
            Self::SetAutostart(true) => "autostart-on",
            Self::SetAutostart(false) => "autostart-off",
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::Snapshot { .. } => "snapshot",
            Self::Resize { .. } => "resize",
            Self::ConfirmResize => "confirm-resize",
            Self::RevertResize => "revert-resize",
            Self::Rename { .. } => "rename",
            Self::SetMetadata { .. } => "metadata",
        }
    }

    /// Destructive actions ask for confirmation first.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Self::Shutdown
                | Self::ForceOff
                | Self::Reboot
                | Self::Reset
                | Self::Delete { .. }
                | Self::Resize { .. }
                | Self::RevertResize
        )
    }

    /// Whether the action makes sense for an instance in its current state.
    pub fn allowed_for(&self, inst: &Instance) -> bool {
        use InstanceStatus as S;
        if inst.task.is_some() {
            // One action at a time per instance, as Horizon does while a task is set.
            return false;
        }
        let s = &inst.status;
        match self {
            // A crashed domain is still active to libvirt ("already running"): it is forced
            // off first. A server in ERROR cannot be started either (Nova answers 409); it is
            // deleted or reset by an admin.
            Self::Start => matches!(s, S::Shutoff),
            // A libvirt managed save shows as SUSPENDED, as Nova's libvirt suspend does.
            Self::Restore => matches!(s, S::Suspended),
            Self::Shutdown | Self::Reboot => matches!(s, S::Active),
            Self::ForceOff => matches!(s, S::Active | S::Paused | S::Crashed | S::Build),
            Self::Reset => matches!(s, S::Active | S::Paused | S::Crashed),
            Self::Pause => matches!(s, S::Active),
            Self::Resume => matches!(s, S::Paused),
            Self::Suspend => matches!(s, S::Active | S::Paused) && inst.persistent != Some(false),
            Self::Delete { .. } => true,
            Self::SetAutostart(on) => {
                inst.persistent != Some(false) && inst.autostart.is_some_and(|a| a != *on)
            }
            Self::Lock => inst.locked == Some(false),
            Self::Unlock => inst.locked == Some(true),
            Self::Snapshot { .. } => {
                matches!(s, S::Active | S::Shutoff | S::Paused | S::Suspended)
            }
            Self::Resize { .. } => matches!(s, S::Active | S::Shutoff),
            Self::ConfirmResize | Self::RevertResize => inst.resize_pending,
            Self::Rename { .. } | Self::SetMetadata { .. } => !inst.deleted,
        }
    }

    /// The task shown in the Task column while the action runs, until the state settles.
    pub fn task_label(&self) -> &'static str {
        match self {
            Self::Start => "powering-on",
            Self::Shutdown | Self::ForceOff => "powering-off",
            Self::Reboot => "rebooting",
            Self::Reset => "rebooting-hard",
            Self::Pause => "pausing",
            Self::Resume => "unpausing",
            Self::Suspend => "suspending",
            Self::Restore => "resuming",
            Self::Delete { .. } => "deleting",
            Self::SetAutostart(_)
            | Self::Lock
            | Self::Unlock
            | Self::Rename { .. }
            | Self::SetMetadata { .. } => "updating",
            Self::Snapshot { .. } => "image_snapshot",
            Self::Resize { .. } => "resize_prep",
            Self::ConfirmResize => "resize_confirming",
            Self::RevertResize => "resize_reverting",
        }
    }

    /// What the user chose for this action (a name, a flavor, metadata), as the audit log
    /// records it: the action's own fields, nothing for an action without any.
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(outer)) => match outer.into_iter().next() {
                Some((_, serde_json::Value::Object(fields))) => fields,
                Some((_, value)) => {
                    let mut one = serde_json::Map::new();
                    one.insert("value".into(), value);
                    one
                }
                None => serde_json::Map::new(),
            },
            _ => serde_json::Map::new(),
        }
    }
}

/// An argument list as one shell-quoted line, for display.
pub fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Quote a word for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+%,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Instance, InstanceStatus};

    fn inst(status: InstanceStatus) -> Instance {
        let mut i = Instance::new("id", "web-01");
        i.status = status;
        i.persistent = Some(true);
        i.autostart = Some(false);
        i
    }

    #[test]
    fn running_instance_offers_stop_actions_not_start() {
        let i = inst(InstanceStatus::Active);
        assert!(InstanceAction::Shutdown.allowed_for(&i));
        assert!(InstanceAction::Pause.allowed_for(&i));
        assert!(!InstanceAction::Start.allowed_for(&i));
        assert!(!InstanceAction::Resume.allowed_for(&i));
    }

    #[test]
    fn a_server_in_error_is_not_offered_start() {
        let i = inst(InstanceStatus::Error);
        assert!(!InstanceAction::Start.allowed_for(&i));
        assert!(
            InstanceAction::Delete {
                delete_volumes: false
            }
            .allowed_for(&i)
        );
    }

    #[test]
    fn crashed_instance_is_forced_off_not_started() {
        let i = inst(InstanceStatus::Crashed);
        assert!(!InstanceAction::Start.allowed_for(&i));
        assert!(InstanceAction::ForceOff.allowed_for(&i));
    }

    #[test]
    fn suspended_instance_is_restored_not_started() {
        let mut i = inst(InstanceStatus::Suspended);
        i.has_managed_save = true;
        assert!(InstanceAction::Restore.allowed_for(&i));
        assert!(!InstanceAction::Start.allowed_for(&i));
        assert!(!InstanceAction::Shutdown.allowed_for(&i));
    }

    #[test]
    fn no_action_while_a_task_is_in_flight() {
        let mut i = inst(InstanceStatus::Active);
        i.task = Some("pausing".into());
        assert!(!InstanceAction::Pause.allowed_for(&i));
        assert!(
            !InstanceAction::Delete {
                delete_volumes: false
            }
            .allowed_for(&i)
        );
    }

    #[test]
    fn audit_params_are_the_actions_own_fields() {
        let rename = InstanceAction::Rename { name: "db".into() };
        assert_eq!(
            rename.params().get("name").and_then(|v| v.as_str()),
            Some("db")
        );
        assert!(InstanceAction::Pause.params().is_empty());
        let autostart = InstanceAction::SetAutostart(true).params();
        assert_eq!(autostart.get("value"), Some(&serde_json::Value::Bool(true)));
    }
}
