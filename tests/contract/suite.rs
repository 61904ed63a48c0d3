//! The backend contract: what every backend must do, asserted the same way against each.
//!
//! - every kind it lists lists, with ids unique and the same ids on a second listing;
//! - every instance's detail opens;
//! - every action its capabilities list succeeds on an instance in a state where the per-state
//!   rule ([`InstanceAction::allowed_for`]) offers it, and the next listing shows its effect;
//!   in a state where the rule does not offer it, the backend refuses it in its own words (or,
//!   where the backend documents the action as a no-op there, accepts it and changes nothing);
//! - every create path creates what the next listing shows;
//! - a read-only connection refuses every mutation with [`BackendError::ReadOnly`] and sends
//!   nothing that would change the backend.
//!
//! When the suite needs an instance in a state no instance is in, it plans the shortest chain of
//! offered actions that gets one there (from what each action is expected to do) and runs it,
//! checking every step like any other action.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;

use yun::backend::{Backend, BackendError, InstanceAction};
use yun::model::{Instance, InstanceStatus, Listing, ResourceKind};

/// A create call under test: it creates a row called by the given name on the backend.
pub type CreateFn<B> =
    for<'a> fn(&'a B, &'a str) -> Pin<Box<dyn Future<Output = Result<(), BackendError>> + 'a>>;

/// A create path: `create` makes a `kind` row called `name` (it will call `Backend::create`
/// with the path's typed spec).
pub struct CreateCase<B> {
    pub kind: ResourceKind,
    pub name: String,
    pub create: CreateFn<B>,
}

/// One backend under the contract.
pub struct Target<'a, B> {
    pub name: &'static str,
    pub backend: &'a B,
    /// The same backend connected read-only.
    pub readonly: &'a B,
    /// The kinds it lists.
    pub kinds: Vec<ResourceKind>,
    /// Actions the backend accepts, changing nothing, in a state where the per-state rule does
    /// not offer them (e.g. locking a server that is already locked).
    pub no_op_when_not_offered: &'static [&'static str],
    /// (action id, status) where the backend accepts an action the shared per-state rule does
    /// not offer: known differences, each checked to be still true, and left out of the
    /// refusal checks.
    pub accepted_beyond_rule: &'static [(&'static str, &'static str)],
    /// Mutating requests sent so far, where the backend's traffic can be seen (a mock server).
    pub mutations_sent: Option<Box<dyn Fn() -> Vec<String> + 'a>>,
    /// Create paths, one per kind the backend creates.
    pub creates: Vec<CreateCase<B>>,
}

/// What the suite saw, for the backend's own test to check the backend's words.
#[derive(Debug, Default)]
pub struct Report {
    /// (action id, status before) of every action that succeeded where offered.
    pub done: Vec<(String, String)>,
    /// (action id, status, the backend's error) of every refusal.
    pub refused: Vec<(String, String, String)>,
    /// Actions accepted as a no-op where not offered.
    pub no_ops: Vec<String>,
}

fn ids(listing: &Listing) -> Vec<String> {
    match listing {
        Listing::Overview(_) => Vec::new(),
        Listing::Instances(v) => v.iter().map(|r| r.id.clone()).collect(),
        Listing::Flavors(v) => v.iter().map(|r| r.id.clone()).collect(),
        Listing::Images(v) => v.iter().map(|r| r.id.clone()).collect(),
        Listing::Volumes { volumes, pools } => volumes
            .iter()
            .map(|r| r.id.clone())
            .chain(pools.iter().map(|p| format!("pool:{}", p.name)))
            .collect(),
        Listing::Networks(v) => v.iter().map(|r| r.id.clone()).collect(),
        Listing::SecurityGroups(v) => v.iter().map(|r| r.id.clone()).collect(),
        Listing::FloatingIps(v) => v.iter().map(|r| r.id.clone()).collect(),
        Listing::Ports(v) => v.iter().map(|r| r.id.clone()).collect(),
    }
}

fn names(listing: &Listing) -> Vec<String> {
    match listing {
        Listing::Overview(_) => Vec::new(),
        Listing::Instances(v) => v.iter().map(|r| r.name.clone()).collect(),
        Listing::Flavors(v) => v.iter().map(|r| r.name.clone()).collect(),
        Listing::Images(v) => v.iter().map(|r| r.name.clone()).collect(),
        Listing::Volumes { volumes, .. } => volumes.iter().map(|r| r.name.clone()).collect(),
        Listing::Networks(v) => v.iter().map(|r| r.name.clone()).collect(),
        Listing::SecurityGroups(v) => v.iter().map(|r| r.name.clone()).collect(),
        Listing::FloatingIps(v) => v.iter().map(|r| r.address.clone()).collect(),
        Listing::Ports(v) => v.iter().map(|r| r.name.clone()).collect(),
    }
}

async fn instances<B: Backend>(b: &B) -> Vec<Instance> {
    match b.list(ResourceKind::Instances).await {
        Ok(Listing::Instances(v)) => v,
        other => panic!("an instance listing, got {other:?}"),
    }
}

/// What an action is expected to leave behind.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    /// The instance's row, as the next listing must show it.
    Row(Box<Instance>),
    /// The instance is gone from the listing.
    Gone,
}

/// The fields of a row an action can change.
fn visible(
    i: &Instance,
) -> (
    String,
    InstanceStatus,
    Option<bool>,
    Option<bool>,
    Option<String>,
) {
    (
        i.name.clone(),
        i.status.clone(),
        i.locked,
        i.autostart,
        i.size.flavor.clone(),
    )
}

/// What `action` does to `i`, in the terms every backend's listing shows. Snapshots and
/// metadata leave the row as it was; their effect is checked elsewhere (images, detail).
fn predict(action: &InstanceAction, i: &Instance) -> Outcome {
    use InstanceAction as A;
    let mut after = i.clone();
    after.task = None;
    match action {
        A::Start | A::Restore | A::Resume | A::Reboot => after.status = InstanceStatus::Active,
        // A reset paused guest stays paused on libvirt (QEMU's system_reset); the check also
        // takes the cloud's running one.
        A::Reset if i.status == InstanceStatus::Paused => {}
        A::Reset => after.status = InstanceStatus::Active,
        A::Shutdown | A::ForceOff => after.status = InstanceStatus::Shutoff,
        A::Pause => after.status = InstanceStatus::Paused,
        A::Suspend => after.status = InstanceStatus::Suspended,
        A::Delete { .. } => return Outcome::Gone,
        A::SetAutostart(on) => after.autostart = Some(*on),
        A::Lock => after.locked = Some(true),
        A::Unlock => after.locked = Some(false),
        A::Rename { name } => after.name = name.clone(),
        A::Resize { flavor_name, .. } => {
            after.status = InstanceStatus::Other("VERIFY_RESIZE".into());
            after.size.flavor = Some(flavor_name.clone());
        }
        // Back to running with the new flavor kept, or the old one back: the flavor the row
        // shows is checked against the listing before the resize by the caller.
        A::ConfirmResize | A::RevertResize => after.status = InstanceStatus::Active,
        A::Snapshot { .. } | A::SetMetadata { .. } => {}
    }
    Outcome::Row(Box::new(after))
}

/// The action with the parameters the suite uses: a new name, a flavor other than the
/// instance's, a metadata key.
fn with_parameters(
    action: &InstanceAction,
    i: &Instance,
    flavors: &[(String, String)],
) -> InstanceAction {
    use InstanceAction as A;
    match action {
        A::Snapshot { .. } => A::Snapshot {
            name: format!("contract-snap-{}", i.name),
        },
        A::Rename { .. } => A::Rename {
            name: format!("{}-renamed", i.name),
        },
        A::SetMetadata { .. } => A::SetMetadata {
            items: vec![("contract".into(), "checked".into())],
        },
        A::Resize { .. } => {
            let (flavor_id, flavor_name) = flavors
                .iter()
                .find(|(_, name)| Some(name) != i.size.flavor.as_ref())
                .cloned()
                .expect("a flavor to resize to");
            A::Resize {
                flavor_id,
                flavor_name,
            }
        }
        other => other.clone(),
    }
}

async fn flavors<B: Backend>(b: &B) -> Vec<(String, String)> {
    match b.list(ResourceKind::Flavors).await {
        Ok(Listing::Flavors(v)) => v.into_iter().map(|f| (f.id, f.name)).collect(),
        _ => Vec::new(),
    }
}

/// Actions that only change state (no new name, no new object): the steps plans are made of.
fn steps(actions: &[InstanceAction]) -> Vec<InstanceAction> {
    actions
        .iter()
        .filter(|a| {
            !matches!(
                a,
                InstanceAction::Delete { .. }
                    | InstanceAction::Rename { .. }
                    | InstanceAction::Snapshot { .. }
                    | InstanceAction::SetMetadata { .. }
            )
        })
        .cloned()
        .collect()
}

impl<B: Backend> Target<'_, B> {
    /// Run the whole contract; panics on the first broken clause.
    pub async fn run(&self) -> Report {
        let mut report = Report::default();
        self.listings_are_unique_and_stable().await;
        self.details_open().await;
        let actions = self.backend.capabilities().actions;
        assert!(!actions.is_empty(), "{}: no actions offered", self.name);
        // First, while the instances are still in the states the backend started with.
        for (id, status) in self.accepted_beyond_rule {
            self.accepted_beyond_the_rule(id, status, &actions).await;
        }
        // Delete last: it takes an instance away from the others.
        let (deletes, others): (Vec<_>, Vec<_>) = actions
            .iter()
            .cloned()
            .partition(|a| matches!(a, InstanceAction::Delete { .. }));
        for action in others.iter().chain(&deletes) {
            self.offered_action_takes_effect(action, &actions, &mut report)
                .await;
            self.action_not_offered_is_refused(action, &actions, &mut report)
                .await;
        }
        self.creates_show_up().await;
        self.readonly_refuses_every_mutation(&actions).await;
        report
    }

    async fn listings_are_unique_and_stable(&self) {
        for kind in &self.kinds {
            let first = self
                .backend
                .list(*kind)
                .await
                .unwrap_or_else(|e| panic!("{}: listing {kind:?}: {e}", self.name));
            assert_eq!(first.kind(), *kind, "{}", self.name);
            let ids_first = ids(&first);
            let unique: BTreeSet<&String> = ids_first.iter().collect();
            assert_eq!(
                unique.len(),
                ids_first.len(),
                "{}: {kind:?} ids are unique: {ids_first:?}",
                self.name
            );
            let second = self.backend.list(*kind).await.unwrap();
            let ids_second = ids(&second);
            assert_eq!(
                unique,
                ids_second.iter().collect::<BTreeSet<_>>(),
                "{}: {kind:?} lists the same ids twice",
                self.name
            );
        }
    }

    async fn details_open(&self) {
        for i in instances(self.backend).await {
            let d = self
                .backend
                .instance_detail(&i.id)
                .await
                .unwrap_or_else(|e| panic!("{}: detail of {}: {e}", self.name, i.name));
            assert_eq!(
                (d.id.as_str(), d.name.as_str()),
                (i.id.as_str(), i.name.as_str())
            );
        }
    }

    /// The shortest chain of offered steps (at most three) after which some instance
    /// satisfies `want`, planned from the predicted outcomes, or `None`.
    fn plan(
        &self,
        rows: &[Instance],
        actions: &[InstanceAction],
        flavors: &[(String, String)],
        want: &dyn Fn(&Instance) -> bool,
    ) -> Option<(String, Vec<InstanceAction>)> {
        let steps = steps(actions);
        let mut queue: VecDeque<(Instance, Vec<InstanceAction>)> =
            rows.iter().map(|i| (i.clone(), Vec::new())).collect();
        while let Some((i, path)) = queue.pop_front() {
            if want(&i) {
                return Some((i.id.clone(), path));
            }
            if path.len() == 3 {
                continue;
            }
            for step in &steps {
                if !step.allowed_for(&i) {
                    continue;
                }
                let step = with_parameters(step, &i, flavors);
                if let Outcome::Row(next) = predict(&step, &i) {
                    let mut path = path.clone();
                    path.push(step);
                    queue.push_back((*next, path));
                }
            }
        }
        None
    }

    /// An instance for which `want` holds, after running a planned chain of steps (each must
    /// succeed and show its effect).
    async fn bring(
        &self,
        actions: &[InstanceAction],
        want: &dyn Fn(&Instance) -> bool,
    ) -> Option<Instance> {
        let rows = instances(self.backend).await;
        let flavors = flavors(self.backend).await;
        let (id, path) = self.plan(&rows, actions, &flavors, want)?;
        for step in path {
            let mut report = Report::default();
            let row = rows_by_id(self.backend, &id)
                .await
                .expect("planned instance");
            self.perform_and_check(&row, &step, &mut report).await;
        }
        let row = rows_by_id(self.backend, &id).await?;
        assert!(
            want(&row),
            "{}: the planned steps brought {} where it was wanted: {row:?}",
            self.name,
            row.name
        );
        Some(row)
    }

    /// Perform `action` on `row` (where it is offered) and check the next listing shows it.
    async fn perform_and_check(
        &self,
        row: &Instance,
        action: &InstanceAction,
        report: &mut Report,
    ) {
        let b = self.backend;
        let before_images = match b.list(ResourceKind::Images).await {
            Ok(l) => names(&l),
            Err(_) => Vec::new(),
        };
        b.perform(&row.id, action).await.unwrap_or_else(|e| {
            panic!(
                "{}: {} on {} ({}) is offered and must succeed: {e}",
                self.name,
                action.id(),
                row.name,
                row.status.as_str()
            )
        });
        report
            .done
            .push((action.id().to_string(), row.status.as_str().to_string()));
        let after = rows_by_id(b, &row.id).await;
        match (predict(action, row), after) {
            (Outcome::Gone, None) => {}
            (Outcome::Gone, Some(a)) => {
                panic!("{}: {} still listed after delete", self.name, a.name)
            }
            (Outcome::Row(_), None) => {
                panic!("{}: {} gone after {}", self.name, row.name, action.id())
            }
            (Outcome::Row(want), Some(got)) => {
                let (mut want, got_fields) = (visible(&want), visible(&got));
                if matches!(
                    action,
                    InstanceAction::ConfirmResize | InstanceAction::RevertResize
                ) {
                    // Back where it was before the resize, running or stopped, with the new or
                    // the old flavor (nova's confirm and revert keep the power state).
                    want.4 = got_fields.4.clone();
                    if matches!(got.status, InstanceStatus::Active | InstanceStatus::Shutoff) {
                        want.1 = got.status.clone();
                    }
                }
                if matches!(action, InstanceAction::Reset)
                    && row.status == InstanceStatus::Paused
                    && got.status == InstanceStatus::Active
                {
                    // Nova's hard reboot brings a paused server back running.
                    want.1 = InstanceStatus::Active;
                }
                assert_eq!(
                    got_fields,
                    want,
                    "{}: the listing after {} on {} shows its effect",
                    self.name,
                    action.id(),
                    row.name
                );
                assert_eq!(
                    got.task,
                    None,
                    "{}: no task left after {}",
                    self.name,
                    action.id()
                );
            }
        }
        match action {
            InstanceAction::Snapshot { name } => {
                let images = match b.list(ResourceKind::Images).await {
                    Ok(l) => names(&l),
                    Err(_) => Vec::new(),
                };
                if !images.contains(name) || before_images.contains(name) {
                    // No listing shows the snapshots of this backend (libvirt keeps them with
                    // the domain): a second one of the same name is refused because it exists.
                    let again = b.perform(&row.id, action).await;
                    assert!(
                        again
                            .as_ref()
                            .is_err_and(|e| e.to_string().contains("exists")),
                        "{}: snapshot {name} is neither listed nor known to the backend: {again:?}",
                        self.name
                    );
                }
            }
            InstanceAction::SetMetadata { items } => {
                let d = b.instance_detail(&row.id).await.unwrap();
                for (k, v) in items {
                    let key = format!("metadata:{k}");
                    assert!(
                        d.extra.iter().any(|(dk, dv)| *dk == key && dv == v),
                        "{}: the detail shows {key}={v}: {:?}",
                        self.name,
                        d.extra
                    );
                }
            }
            _ => {}
        }
    }

    async fn offered_action_takes_effect(
        &self,
        action: &InstanceAction,
        actions: &[InstanceAction],
        report: &mut Report,
    ) {
        let offered = |i: &Instance| action.allowed_for(i);
        let row = self.bring(actions, &offered).await.unwrap_or_else(|| {
            panic!(
                "{}: no instance can be brought where {} is offered",
                self.name,
                action.id()
            )
        });
        let flavors = flavors(self.backend).await;
        let action = with_parameters(action, &row, &flavors);
        self.perform_and_check(&row, &action, report).await;
    }

    async fn action_not_offered_is_refused(
        &self,
        action: &InstanceAction,
        actions: &[InstanceAction],
        report: &mut Report,
    ) {
        let beyond = |i: &Instance| {
            self.accepted_beyond_rule
                .contains(&(action.id(), i.status.as_str()))
        };
        let not_offered = |i: &Instance| i.task.is_none() && !action.allowed_for(i) && !beyond(i);
        let Some(row) = self.bring(actions, &not_offered).await else {
            // Offered in every state the backend's instances can be in (delete, rename).
            return;
        };
        let flavors = flavors(self.backend).await;
        let action = with_parameters(action, &row, &flavors);
        let result = self.backend.perform(&row.id, &action).await;
        let after = rows_by_id(self.backend, &row.id).await.unwrap();
        assert_eq!(
            visible(&after),
            visible(&row),
            "{}: {} where not offered changes nothing",
            self.name,
            action.id()
        );
        if self.no_op_when_not_offered.contains(&action.id()) {
            assert_eq!(
                result,
                Ok(()),
                "{}: {} is a no-op here",
                self.name,
                action.id()
            );
            report.no_ops.push(action.id().to_string());
            return;
        }
        let e = result.expect_err(&format!(
            "{}: {} on {} ({}) is not offered and must be refused",
            self.name,
            action.id(),
            row.name,
            row.status.as_str()
        ));
        assert!(
            !matches!(e, BackendError::ReadOnly | BackendError::Unsupported(_)),
            "{}: refused by the backend's state rule, not by yun: {e:?}",
            self.name
        );
        report.refused.push((
            action.id().to_string(),
            row.status.as_str().to_string(),
            e.to_string(),
        ));
    }

    /// A known difference still holds: `id` is not offered in `status`, and the backend
    /// accepts it there.
    async fn accepted_beyond_the_rule(&self, id: &str, status: &str, actions: &[InstanceAction]) {
        let action = actions
            .iter()
            .find(|a| a.id() == id)
            .unwrap_or_else(|| panic!("{}: {id} is not offered at all", self.name));
        let there = |i: &Instance| {
            i.task.is_none() && i.status.as_str() == status && !action.allowed_for(i)
        };
        let Some(row) = self.bring(actions, &there).await else {
            let offered = instances(self.backend)
                .await
                .iter()
                .any(|i| i.status.as_str() == status && action.allowed_for(i));
            assert!(
                !offered,
                "{}: the rule offers {id} in {status} now, so the entry can go",
                self.name
            );
            panic!("{}: no instance can be brought to {status}", self.name);
        };
        let flavors = flavors(self.backend).await;
        let action = with_parameters(action, &row, &flavors);
        let result = self.backend.perform(&row.id, &action).await;
        assert_eq!(
            result,
            Ok(()),
            "{}: {id} in {status} is accepted",
            self.name
        );
    }

    async fn creates_show_up(&self) {
        for case in &self.creates {
            (case.create)(self.backend, &case.name)
                .await
                .unwrap_or_else(|e| panic!("{}: create {:?}: {e}", self.name, case.kind));
            let listing = self.backend.list(case.kind).await.unwrap();
            assert!(
                names(&listing).contains(&case.name),
                "{}: the {:?} listing shows the new {}",
                self.name,
                case.kind,
                case.name
            );
            assert_eq!(
                (case.create)(self.readonly, &case.name).await,
                Err(BackendError::ReadOnly),
                "{}: a read-only connection refuses create {:?}",
                self.name,
                case.kind
            );
        }
    }

    async fn readonly_refuses_every_mutation(&self, actions: &[InstanceAction]) {
        let ro = self.readonly;
        assert!(ro.capabilities().readonly, "{}", self.name);
        assert!(
            ro.capabilities().actions.is_empty(),
            "{}: a read-only connection offers no action",
            self.name
        );
        let sent_before = self.mutations_sent.as_ref().map(|f| f());
        let rows = instances(ro).await;
        let flavors = flavors(ro).await;
        let target = rows.first().expect("an instance");
        let mut every: Vec<InstanceAction> = actions.to_vec();
        // Both directions of the toggles.
        for a in actions {
            if let InstanceAction::SetAutostart(on) = a {
                every.push(InstanceAction::SetAutostart(!on));
            }
        }
        for action in every {
            let action = with_parameters(&action, target, &flavors);
            assert_eq!(
                ro.perform(&target.id, &action).await,
                Err(BackendError::ReadOnly),
                "{}: read-only refuses {}",
                self.name,
                action.id()
            );
        }
        assert_eq!(
            ro.redefine(&target.id, "<domain/>").await,
            Err(BackendError::ReadOnly),
            "{}: read-only refuses a redefine",
            self.name
        );
        let rows_after = instances(ro).await;
        assert_eq!(
            rows_after.iter().map(visible).collect::<Vec<_>>(),
            rows.iter().map(visible).collect::<Vec<_>>(),
            "{}: nothing changed",
            self.name
        );
        if let (Some(before), Some(sent)) = (sent_before, &self.mutations_sent) {
            assert_eq!(sent(), before, "{}: no mutating request sent", self.name);
        }
    }
}

async fn rows_by_id<B: Backend>(b: &B, id: &str) -> Option<Instance> {
    instances(b).await.into_iter().find(|i| i.id == id)
}
