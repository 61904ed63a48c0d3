//! libvirt domain state + reason → the dashboard's Status / Power / Task, as Nova's libvirt
//! driver and Horizon present them.

use virt::sys;

use crate::model::{InstanceStatus, PowerState};

/// How an instance is shown: status, power state and the task in flight (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presentation {
    pub status: InstanceStatus,
    pub power: PowerState,
    pub task: Option<String>,
}

fn shown(status: InstanceStatus, power: PowerState, task: Option<&str>) -> Presentation {
    Presentation {
        status,
        power,
        task: task.map(str::to_string),
    }
}

/// Map a raw `VIR_DOMAIN_*` state and its reason. A shut-off domain with a managed save image is
/// SUSPENDED, because that is what Nova's libvirt "suspend" leaves behind.
pub fn present(state: u32, reason: i32, has_managed_save: bool) -> Presentation {
    use InstanceStatus as S;
    use PowerState as P;
    let reason = u32::try_from(reason).unwrap_or(u32::MAX);
    match state {
        sys::VIR_DOMAIN_RUNNING => shown(S::Active, P::Running, None),
        sys::VIR_DOMAIN_BLOCKED => shown(S::Active, P::Blocked, None),
        sys::VIR_DOMAIN_PAUSED => {
            let task = match reason {
                sys::VIR_DOMAIN_PAUSED_SAVE => Some("suspending"),
                sys::VIR_DOMAIN_PAUSED_MIGRATION => Some("migrating"),
                sys::VIR_DOMAIN_PAUSED_SNAPSHOT => Some("snapshotting"),
                sys::VIR_DOMAIN_PAUSED_DUMP => Some("dumping"),
                _ => None,
            };
            shown(S::Paused, P::Paused, task)
        }
        sys::VIR_DOMAIN_SHUTDOWN => shown(S::Active, P::Running, Some("powering-off")),
        sys::VIR_DOMAIN_SHUTOFF if reason == sys::VIR_DOMAIN_SHUTOFF_FAILED => {
            shown(S::Error, P::Failed, None)
        }
        sys::VIR_DOMAIN_SHUTOFF if has_managed_save => shown(S::Suspended, P::Shutdown, None),
        sys::VIR_DOMAIN_SHUTOFF => shown(S::Shutoff, P::Shutdown, None),
        sys::VIR_DOMAIN_CRASHED => shown(S::Crashed, P::Crashed, None),
        sys::VIR_DOMAIN_PMSUSPENDED => shown(S::Suspended, P::Suspended, None),
        _ => shown(S::Error, P::NoState, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstanceStatus as S;
    use PowerState as P;

    fn p(state: u32, reason: u32, saved: bool) -> (InstanceStatus, PowerState, Option<String>) {
        let r = present(state, reason as i32, saved);
        (r.status, r.power, r.task)
    }

    #[test]
    fn running_and_blocked_are_active() {
        assert_eq!(
            p(sys::VIR_DOMAIN_RUNNING, 1, false),
            (S::Active, P::Running, None)
        );
        assert_eq!(
            p(sys::VIR_DOMAIN_BLOCKED, 0, false),
            (S::Active, P::Blocked, None)
        );
    }

    #[test]
    fn paused_reasons_become_tasks() {
        assert_eq!(
            p(sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_PAUSED_USER, false),
            (S::Paused, P::Paused, None)
        );
        let task = |r| p(sys::VIR_DOMAIN_PAUSED, r, false).2;
        assert_eq!(
            task(sys::VIR_DOMAIN_PAUSED_SAVE).as_deref(),
            Some("suspending")
        );
        assert_eq!(
            task(sys::VIR_DOMAIN_PAUSED_MIGRATION).as_deref(),
            Some("migrating")
        );
        assert_eq!(
            task(sys::VIR_DOMAIN_PAUSED_SNAPSHOT).as_deref(),
            Some("snapshotting")
        );
        assert_eq!(
            task(sys::VIR_DOMAIN_PAUSED_DUMP).as_deref(),
            Some("dumping")
        );
    }

    #[test]
    fn shutting_down_is_active_powering_off() {
        let (status, _, task) = p(sys::VIR_DOMAIN_SHUTDOWN, 1, false);
        assert_eq!(status, S::Active);
        assert_eq!(task.as_deref(), Some("powering-off"));
    }

    #[test]
    fn shutoff_variants() {
        assert_eq!(
            p(
                sys::VIR_DOMAIN_SHUTOFF,
                sys::VIR_DOMAIN_SHUTOFF_SHUTDOWN,
                false
            ),
            (S::Shutoff, P::Shutdown, None)
        );
        assert_eq!(
            p(sys::VIR_DOMAIN_SHUTOFF, sys::VIR_DOMAIN_SHUTOFF_SAVED, true).0,
            S::Suspended
        );
        assert_eq!(
            p(
                sys::VIR_DOMAIN_SHUTOFF,
                sys::VIR_DOMAIN_SHUTOFF_FAILED,
                false
            )
            .0,
            S::Error
        );
    }

    #[test]
    fn crashed_pmsuspended_and_nostate() {
        assert_eq!(
            p(sys::VIR_DOMAIN_CRASHED, 0, false),
            (S::Crashed, P::Crashed, None)
        );
        assert_eq!(
            p(sys::VIR_DOMAIN_PMSUSPENDED, 0, false),
            (S::Suspended, P::Suspended, None)
        );
        assert_eq!(
            p(sys::VIR_DOMAIN_NOSTATE, 0, false),
            (S::Error, P::NoState, None)
        );
        assert_eq!(p(99, 0, false), (S::Error, P::NoState, None));
    }
}
