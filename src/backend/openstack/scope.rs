//! Scope: the region and project the backend works in, switching between them, the
//! all-projects view of an admin, and the header facts that name the scope.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use reqwest::Url;
use serde_json::Value;

use super::endpoints::{Endpoints, discover};
use super::{AuthMethod, OpenStackBackend, read, write};
use crate::backend::{BackendError, ScopeChange};
use crate::model::HostInfo;

/// A project the user can switch to (`GET /v3/auth/projects`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
    pub domain_id: Option<String>,
}

impl OpenStackBackend {
    pub fn current_region(&self) -> Option<String> {
        read(&self.endpoints).region.clone()
    }

    pub fn current_project(&self) -> (String, String) {
        let e = read(&self.endpoints);
        (e.project_id.clone(), e.project_name.clone())
    }

    /// Regions in the catalog.
    pub async fn regions(&self) -> Result<Vec<String>, BackendError> {
        Ok(self.session.token().await?.regions())
    }

    /// Projects the user may scope to.
    pub async fn projects(&self) -> Result<Vec<ProjectRef>, BackendError> {
        let url = format!("{}/auth/projects", self.session.identity_url());
        let doc = self.track(self.session.get_json("identity", &url, &[]).await)?;
        let mut out: Vec<ProjectRef> = doc
            .get("projects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some(ProjectRef {
                    id: p.get("id")?.as_str()?.to_string(),
                    name: p
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    domain_id: p
                        .get("domain_id")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Switch region and/or project (project by id); re-scopes the token when the project changes.
    pub async fn switch(
        &self,
        region: Option<String>,
        project_id: Option<String>,
    ) -> Result<(), BackendError> {
        let previous = self.session.project_override();
        if let Some(p) = project_id {
            if matches!(
                self.session.config.auth,
                AuthMethod::ApplicationCredential { .. }
            ) {
                return Err(BackendError::Unsupported(
                    "switching project with an application credential (it is bound to one)".into(),
                ));
            }
            self.session.set_project_override(Some(p));
            self.session.drop_token_in_memory().await;
        }
        let region = region.or_else(|| read(&self.region));
        match discover(&self.session, region.as_deref()).await {
            Ok(endpoints) => {
                write(&self.region, region);
                write(&self.endpoints, Arc::new(endpoints));
                Ok(())
            }
            Err(e) => {
                // Keep working in the project we were in.
                self.session.set_project_override(previous);
                self.session.drop_token_in_memory().await;
                Err(e)
            }
        }
    }

    pub fn set_all_projects(&self, on: bool) {
        self.all_projects.store(on, Ordering::Relaxed);
    }

    pub fn all_projects(&self) -> bool {
        self.all_projects.load(Ordering::Relaxed)
    }

    /// Apply a scope change; returns the header facts of the new scope.
    pub(super) async fn change_scope(&self, change: ScopeChange) -> Result<HostInfo, BackendError> {
        match change {
            ScopeChange::Region(region) => self.switch(Some(region), None).await?,
            ScopeChange::Project(wanted) => {
                let projects = self.projects().await?;
                let project = projects
                    .iter()
                    .find(|p| p.id == wanted || p.name == wanted)
                    .ok_or_else(|| {
                        let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
                        BackendError::NotFound(format!(
                            "project {wanted} (yours: {})",
                            names.join(", ")
                        ))
                    })?;
                self.switch(None, Some(project.id.clone())).await?;
            }
            ScopeChange::AllProjects(on) => self.set_all_projects(on),
        }
        // New rows to show: the next instance listing shows its first page early again.
        self.first_page_pending.store(true, Ordering::Relaxed);
        let e = read(&self.endpoints);
        Ok(self.host_info_now(&e))
    }

    pub(super) fn host_info_now(&self, e: &Endpoints) -> HostInfo {
        let host = Url::parse(&self.session.config.auth_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        HostInfo {
            target: format!(
                "{}/{}/{}",
                self.cloud,
                e.region.as_deref().unwrap_or("-"),
                e.project_name
            ),
            hostname: host,
            hypervisor: format!("OpenStack (compute {}.{})", e.compute_mv.0, e.compute_mv.1),
            library_version: "Keystone v3".into(),
            memory_free: crate::model::Availability::Unavailable("not exposed by the cloud".into()),
            warnings: self.session.insecure_reasons().to_vec(),
            ..HostInfo::default()
        }
    }
}
