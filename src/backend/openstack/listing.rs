//! Listings: one bulk walk per kind across the services, with the lookups (image and flavor
//! names, server and network names) that make the rows readable, and the early first page.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use serde_json::Value;

use super::endpoints::Endpoints;
use super::http::Paging;
use super::{OpenStackBackend, compute, de, image, limits, network, read, volume};
use crate::backend::{BackendError, Listed};
use crate::model::{InstanceStatus, Listing, Overview, ResourceKind};

/// Servers in the early first page of the first instance listing.
const FIRST_PAGE: usize = 100;

/// The note of a listing that dropped `n` rows because they did not decode.
fn skipped_note(n: usize) -> Option<String> {
    if n == 0 {
        return None;
    }
    tracing::warn!("{n} rows skipped (could not be decoded)");
    Some(format!(
        "{n} row(s) could not be read and were skipped; the log has the details"
    ))
}

impl OpenStackBackend {
    async fn servers_raw(&self, e: &Endpoints) -> Result<Vec<Value>, BackendError> {
        let mut url = format!("{}/servers/detail", e.compute);
        if self.all_projects() {
            url.push_str("?all_tenants=1");
        }
        self.session
            .list_all(
                "compute",
                &url,
                "servers",
                &e.compute_headers(),
                Paging::Links,
            )
            .await
    }

    /// The first `FIRST_PAGE` servers alone, mapped without the image and flavor lookups the
    /// full listing makes: enough to fill a screen while a large list loads.
    async fn first_page(&self, e: &Endpoints) -> Option<Vec<crate::model::Instance>> {
        let sep = if self.all_projects() {
            "?all_tenants=1&"
        } else {
            "?"
        };
        let url = format!("{}/servers/detail{sep}limit={FIRST_PAGE}", e.compute);
        let doc = self
            .session
            .get_json("compute", &url, &e.compute_headers())
            .await
            .ok()?;
        let items = doc.get("servers")?.as_array()?.clone();
        let mut skipped = 0;
        let rows = de::rows::<compute::ServerDto>("server", items, &mut skipped);
        let lookups = compute::Lookups::default();
        Some(
            rows.iter()
                .filter_map(|s| s.to_instance(&lookups))
                .collect(),
        )
    }

    async fn flavors_raw(&self, e: &Endpoints) -> Result<Vec<Value>, BackendError> {
        let mut url = format!("{}/flavors/detail", e.compute);
        if e.admin {
            url.push_str("?is_public=None");
        }
        self.session
            .list_all(
                "compute",
                &url,
                "flavors",
                &e.compute_headers(),
                Paging::Links,
            )
            .await
    }

    async fn images_raw(&self, e: &Endpoints) -> Result<Vec<Value>, BackendError> {
        let url = format!("{}/v2/images", e.image_root()?);
        self.session
            .list_all("image", &url, "images", &[], Paging::GlanceNext)
            .await
    }

    async fn volumes_raw(&self, e: &Endpoints) -> Result<Vec<Value>, BackendError> {
        let mut url = format!("{}/volumes/detail", e.volume_base()?);
        if self.all_projects() {
            url.push_str("?all_tenants=1");
        }
        self.session
            .list_all(
                "block-storage",
                &url,
                "volumes",
                &e.volume_headers(),
                Paging::Links,
            )
            .await
    }

    async fn neutron_raw(
        &self,
        e: &Endpoints,
        collection: &str,
    ) -> Result<Vec<Value>, BackendError> {
        let path = collection.replace('_', "-");
        let path = if collection == "floatingips" {
            "floatingips".to_string()
        } else {
            path
        };
        let url = format!("{}/{path}", e.network_base()?);
        self.session
            .list_all("network", &url, collection, &[], Paging::Links)
            .await
    }

    /// Server names by id (for volumes, floating IPs, ports) from the cheap `/servers` list;
    /// empty when the list fails.
    async fn server_names(&self, e: &Endpoints) -> HashMap<String, String> {
        let mut skipped = 0;
        let mut url = format!("{}/servers", e.compute);
        if self.all_projects() {
            url.push_str("?all_tenants=1");
        }
        let list = self
            .session
            .list_all(
                "compute",
                &url,
                "servers",
                &e.compute_headers(),
                Paging::Links,
            )
            .await;
        match list {
            Ok(v) => de::rows::<compute::ServerDto>("server", v, &mut skipped)
                .into_iter()
                .filter_map(|s| Some((s.id?, s.name.unwrap_or_default())))
                .collect(),
            Err(err) => {
                tracing::warn!("server names unavailable: {err}");
                HashMap::new()
            }
        }
    }

    async fn instances(
        &self,
        e: &Endpoints,
    ) -> Result<(Vec<crate::model::Instance>, usize), BackendError> {
        let need_flavors = e.compute_mv < (2, 47);
        let flavors = async {
            if need_flavors {
                self.flavors_raw(e).await.map(Some)
            } else {
                Ok(None)
            }
        };
        let (servers, flavors, images) =
            tokio::join!(self.servers_raw(e), flavors, self.images_raw(e));
        let servers = servers?;
        let mut skipped = 0;
        let mut lookups = compute::Lookups::default();
        match flavors {
            Ok(Some(f)) => {
                for f in de::rows::<compute::FlavorDto>("flavor", f, &mut skipped) {
                    if let Some(id) = f.id.clone() {
                        lookups.flavors.insert(id, f);
                    }
                }
            }
            Ok(None) => {}
            Err(err) => tracing::warn!("flavors unavailable for the instance table: {err}"),
        }
        match images {
            Ok(imgs) => {
                for i in de::rows::<image::ImageDto>("image", imgs, &mut skipped) {
                    if let (Some(id), Some(name)) = (i.id, i.name) {
                        lookups.images.insert(id, name);
                    }
                }
            }
            Err(err) => tracing::warn!("image names unavailable: {err}"),
        }
        let mut row_skips = 0;
        let rows = de::rows::<compute::ServerDto>("server", servers, &mut row_skips);
        let mut out = Vec::with_capacity(rows.len());
        for s in &rows {
            match s.to_instance(&lookups) {
                Some(i) => out.push(i),
                None => row_skips += 1,
            }
        }
        Ok((out, row_skips))
    }

    /// The overview and the number of instance rows it could not read.
    async fn overview(&self, e: &Endpoints) -> Result<(Overview, usize), BackendError> {
        let nova_limits = async {
            self.session
                .get_json(
                    "compute",
                    &format!("{}/limits", e.compute),
                    &e.compute_headers(),
                )
                .await
        };
        let cinder_limits = async {
            match e.volume_base() {
                Ok(b) => self
                    .session
                    .get_json("block-storage", &format!("{b}/limits"), &e.volume_headers())
                    .await
                    .map(Some),
                Err(_) => Ok(None),
            }
        };
        let neutron_quota = async {
            match e.network_base() {
                Ok(b) => self
                    .session
                    .get_json(
                        "network",
                        &format!("{b}/quotas/{}/details", e.project_id),
                        &[],
                    )
                    .await
                    .map(Some),
                Err(_) => Ok(None),
            }
        };
        let (instances, nl, cl, nq) =
            tokio::join!(self.instances(e), nova_limits, cinder_limits, neutron_quota);
        let (instances, skipped) = instances?;
        let mut quotas = limits::compute(&nl?);
        match cl {
            Ok(Some(doc)) => quotas.extend(limits::volume(&doc)),
            Ok(None) => {}
            Err(err) => tracing::warn!("volume limits unavailable: {err}"),
        }
        match nq {
            Ok(Some(doc)) => quotas.extend(limits::network(&doc)),
            Ok(None) => {}
            Err(err) => tracing::warn!("network quotas unavailable: {err}"),
        }
        let mut by_status: Vec<(InstanceStatus, usize)> = Vec::new();
        let mut o = Overview {
            host: self.host_info_now(e),
            quotas,
            ..Overview::default()
        };
        for i in &instances {
            match by_status.iter_mut().find(|(s, _)| *s == i.status) {
                Some((_, n)) => *n += 1,
                None => by_status.push((i.status.clone(), 1)),
            }
            o.vcpus_allocated += u64::from(i.size.vcpus);
            o.memory_allocated += i.size.ram_bytes;
            if i.status == InstanceStatus::Active {
                o.vcpus_running += u64::from(i.size.vcpus);
                o.memory_running += i.size.ram_bytes;
            }
        }
        by_status.sort();
        o.instances_by_status = by_status;
        Ok((o, skipped))
    }

    /// One listing of `kind` with its own note, counting the transport failures.
    pub async fn list_noted(&self, kind: ResourceKind) -> Result<Listed, BackendError> {
        let r = self.list_inner(kind).await;
        self.track(r)
    }

    async fn list_inner(&self, kind: ResourceKind) -> Result<Listed, BackendError> {
        let e = read(&self.endpoints);
        let mut skipped = 0;
        let listing = match kind {
            ResourceKind::Overview => {
                let (overview, skipped) = self.overview(&e).await?;
                return Ok(Listed {
                    listing: Listing::Overview(Box::new(overview)),
                    note: skipped_note(skipped),
                });
            }
            ResourceKind::Instances => {
                let (v, s) = self.instances(&e).await?;
                skipped = s;
                Listing::Instances(v)
            }
            ResourceKind::Flavors => {
                let rows = de::rows::<compute::FlavorDto>(
                    "flavor",
                    self.flavors_raw(&e).await?,
                    &mut skipped,
                );
                Listing::Flavors(
                    rows.iter()
                        .filter_map(compute::FlavorDto::to_model)
                        .collect(),
                )
            }
            ResourceKind::Images => {
                let rows =
                    de::rows::<image::ImageDto>("image", self.images_raw(&e).await?, &mut skipped);
                Listing::Images(rows.iter().filter_map(image::ImageDto::to_model).collect())
            }
            ResourceKind::Volumes => {
                let (vols, names) = tokio::join!(self.volumes_raw(&e), self.server_names(&e));
                let rows = de::rows::<volume::VolumeDto>("volume", vols?, &mut skipped);
                Listing::Volumes {
                    volumes: rows.iter().filter_map(|v| v.to_model(&names)).collect(),
                    pools: Vec::new(),
                }
            }
            ResourceKind::Networks => {
                let (nets, subnets) = tokio::join!(
                    self.neutron_raw(&e, "networks"),
                    self.neutron_raw(&e, "subnets")
                );
                let subnets = match subnets {
                    Ok(s) => de::rows::<network::SubnetDto>("subnet", s, &mut skipped),
                    Err(err) => {
                        tracing::warn!("subnets unavailable: {err}");
                        Vec::new()
                    }
                };
                let rows = de::rows::<network::NetworkDto>("network", nets?, &mut skipped);
                Listing::Networks(rows.iter().filter_map(|n| n.to_model(&subnets)).collect())
            }
            ResourceKind::SecurityGroups => {
                let rows = de::rows::<network::SecurityGroupDto>(
                    "security group",
                    self.neutron_raw(&e, "security_groups").await?,
                    &mut skipped,
                );
                Listing::SecurityGroups(
                    rows.iter()
                        .filter_map(network::SecurityGroupDto::to_model)
                        .collect(),
                )
            }
            ResourceKind::FloatingIps => {
                let (fips, ports, names, nets) = tokio::join!(
                    self.neutron_raw(&e, "floatingips"),
                    self.neutron_raw(&e, "ports"),
                    self.server_names(&e),
                    self.network_names(&e)
                );
                let mut ignore = 0;
                let port_devices: HashMap<String, String> = ports
                    .map(|p| de::rows::<network::PortDto>("port", p, &mut ignore))
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| Some((p.id?, p.device_id?)))
                    .collect();
                let rows = de::rows::<network::FloatingIpDto>("floating IP", fips?, &mut skipped);
                Listing::FloatingIps(
                    rows.iter()
                        .filter_map(|f| f.to_model(&port_devices, &names, &nets))
                        .collect(),
                )
            }
            ResourceKind::Ports => {
                let (ports, names, nets) = tokio::join!(
                    self.neutron_raw(&e, "ports"),
                    self.server_names(&e),
                    self.network_names(&e)
                );
                let rows = de::rows::<network::PortDto>("port", ports?, &mut skipped);
                Listing::Ports(
                    rows.iter()
                        .filter_map(|p| p.to_model(&names, &nets))
                        .collect(),
                )
            }
        };
        Ok(Listed {
            listing,
            note: skipped_note(skipped),
        })
    }

    async fn network_names(&self, e: &Endpoints) -> HashMap<String, String> {
        let mut ignore = 0;
        self.neutron_raw(e, "networks")
            .await
            .map(|v| de::rows::<network::NetworkDto>("network", v, &mut ignore))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| Some((n.id?, n.name.unwrap_or_default())))
            .collect()
    }

    /// The first instance listing (or the first after a switch) sends a first page to
    /// `partial` early; every other listing is just [`OpenStackBackend::list_noted`].
    pub(super) async fn list_with_first_page(
        &self,
        kind: ResourceKind,
        partial: tokio::sync::mpsc::UnboundedSender<Listing>,
    ) -> Result<Listed, BackendError> {
        // Only the first instance listing (or the first after a switch) shows a first page
        // early: later refreshes keep the rows on screen until the new listing is complete.
        if kind != ResourceKind::Instances
            || !self.first_page_pending.swap(false, Ordering::Relaxed)
        {
            return self.list_noted(kind).await;
        }
        let e = read(&self.endpoints);
        let first = async {
            if let Some(rows) = self.first_page(&e).await {
                let _ = partial.send(Listing::Instances(rows));
            }
        };
        let (result, ()) = tokio::join!(self.list_noted(kind), first);
        result
    }
}
