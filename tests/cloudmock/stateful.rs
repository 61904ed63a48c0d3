//! A stateful mock cloud: Nova, Glance, Cinder and Neutron answers built from the official API
//! samples, held in memory, so that an action or a create changes what the next listing shows.
//! Instance actions follow Nova's state rules (`check_instance_state` in nova's compute API) and
//! are refused the way nova-api refuses them: `409 {"conflictingRequest": {"message": "Cannot
//! 'pause' instance <id> while it is in vm_state stopped"}}`. Every request it answers is
//! recorded (method and path), so a test can prove a read-only connection sent no change.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use super::{Cloud, PROJECT, cloud, fixture};

/// One request the mock answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: String,
}

impl Received {
    /// Anything but a read: what a read-only connection must never send.
    pub fn mutates(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }
}

/// What the cloud holds: the documents it lists, as the APIs return them.
#[derive(Default)]
pub struct CloudState {
    pub servers: Vec<Value>,
    pub flavors: Vec<Value>,
    pub images: Vec<Value>,
    pub volumes: Vec<Value>,
    pub networks: Vec<Value>,
    pub subnets: Vec<Value>,
    pub security_groups: Vec<Value>,
    pub floatingips: Vec<Value>,
    pub ports: Vec<Value>,
    /// Flavors servers had before a resize, kept until it is confirmed or reverted.
    resized_from: Vec<(String, Value, String)>,
    pub requests: Vec<Received>,
    /// The most rows one page holds when the request asks for no fewer (nova's
    /// `max_limit`); set it low to make every listing span pages.
    pub page_size: usize,
    next_id: usize,
}

/// A handle on the mock's state, shared with the responder mounted on the mock server.
#[derive(Clone)]
pub struct Stateful(Arc<Mutex<CloudState>>);

impl Stateful {
    pub fn state(&self) -> MutexGuard<'_, CloudState> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every request answered so far (Keystone's token requests aside).
    pub fn requests(&self) -> Vec<Received> {
        self.state().requests.clone()
    }

    /// The requests that would have changed something.
    pub fn mutations(&self) -> Vec<Received> {
        self.requests()
            .into_iter()
            .filter(Received::mutates)
            .collect()
    }
}

fn list_of(key: &str, rel: &str) -> Vec<Value> {
    fixture(rel)[key].as_array().cloned().unwrap_or_default()
}

/// `(status, vm_state, power_state)` for each status the mock's servers can be in.
fn states(status: &str) -> (&'static str, i64) {
    match status {
        "ACTIVE" => ("active", 1),
        "PAUSED" => ("paused", 3),
        "SHUTOFF" => ("stopped", 4),
        "SUSPENDED" => ("suspended", 7),
        "VERIFY_RESIZE" => ("resized", 1),
        "ERROR" => ("error", 0),
        _ => ("building", 0),
    }
}

fn set_status(server: &mut Value, status: &str) {
    let (vm, power) = states(status);
    server["status"] = json!(status);
    server["OS-EXT-STS:vm_state"] = json!(vm);
    server["OS-EXT-STS:power_state"] = json!(power);
    server["OS-EXT-STS:task_state"] = Value::Null;
}

/// Three servers from the v2.47 sample: one running, one stopped, one in ERROR with Nova's
/// fault.
fn sample_servers() -> Vec<Value> {
    let base = fixture("nova/servers/v2.47/servers-details-resp.json")["servers"][0].clone();
    let server = |id: &str, name: &str, status: &str| {
        let mut s = base.clone();
        s["id"] = json!(id);
        s["name"] = json!(name);
        set_status(&mut s, status);
        s
    };
    let mut broken = server("srv-broken", "broken-1", "ERROR");
    broken["fault"] = json!({"code": 500, "message": "No valid host was found.",
        "created": "2017-02-14T19:24:43Z"});
    vec![
        server("srv-web", "web-1", "ACTIVE"),
        server("srv-db", "db-1", "SHUTOFF"),
        broken,
    ]
}

impl CloudState {
    /// Everything the samples give, the servers made of the v2.47 sample.
    pub fn from_samples() -> Self {
        Self {
            servers: sample_servers(),
            flavors: list_of("flavors", "nova/flavors/v2.75/flavors-detail-resp.json"),
            images: list_of("images", "glance/images-list-response.json"),
            volumes: list_of(
                "volumes",
                "cinder/volumes/volumes-list-detailed-response.json",
            ),
            networks: list_of("networks", "neutron/networks/networks-list-response.json"),
            subnets: list_of("subnets", "neutron/subnets/subnets-list-response.json"),
            security_groups: list_of(
                "security_groups",
                "neutron/security-groups/security-groups-list-response.json",
            ),
            floatingips: list_of(
                "floatingips",
                "neutron/floatingips/floating-ips-list-response.json",
            ),
            ports: list_of("ports", "neutron/ports/ports-list-response.json"),
            page_size: 1000,
            ..Self::default()
        }
    }

    fn server_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.servers.iter_mut().find(|s| s["id"] == id)
    }

    fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:04}", self.next_id)
    }
}

/// A nova-api error body.
fn nova_error(status: u16, key: &str, message: String) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({ key: {"code": status, "message": message} }))
}

fn not_found(id: &str) -> ResponseTemplate {
    nova_error(
        404,
        "itemNotFound",
        format!("Instance {id} could not be found."),
    )
}

/// How a service says there is a next page.
#[derive(Clone, Copy)]
enum Paging {
    /// `"<key>_links": [{"rel": "next", "href": …}]` (Nova, Cinder, Neutron).
    Links,
    /// `"next": "/v2/images?marker=…"` (Glance).
    Glance,
}

/// One page of `rows`: those after `?marker=` (an id), at most `?limit=` and the page size,
/// with the link to the next page when more remain.
fn page(
    request: &Request,
    key: &str,
    rows: &[Value],
    page_size: usize,
    paging: Paging,
) -> ResponseTemplate {
    let query = |name: &str| {
        request
            .url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let start = match query("marker") {
        Some(marker) => match rows.iter().position(|r| r["id"] == *marker.as_str()) {
            Some(at) => at + 1,
            None => {
                return nova_error(400, "badRequest", format!("marker [{marker}] not found"));
            }
        },
        None => 0,
    };
    let limit = query("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .map_or(page_size, |l| l.min(page_size));
    let chunk: Vec<Value> = rows.iter().skip(start).take(limit).cloned().collect();
    let mut body = json!({ key: chunk });
    if start + chunk.len() < rows.len()
        && let Some(last) = chunk.last().and_then(|r| r["id"].as_str())
    {
        let path = request.url.path();
        match paging {
            Paging::Links => {
                let mut next = request.url.clone();
                next.set_query(Some(&format!("limit={limit}&marker={last}")));
                body[format!("{key}_links")] = json!([{"rel": "next", "href": next.as_str()}]);
            }
            Paging::Glance => {
                let tail = path.strip_prefix("/image").unwrap_or(path);
                body["next"] = json!(format!("{tail}?marker={last}&limit={limit}"));
            }
        }
    }
    ok(body)
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

impl Respond for Stateful {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let method = request.method.to_string();
        let path = request.url.path().to_string();
        let mut state = self.state();
        state.requests.push(Received {
            method: method.clone(),
            path: path.clone(),
            query: request.url.query().unwrap_or_default().to_string(),
        });
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let volume_root = ["volume", "v3", PROJECT];
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["compute", "v2.1", "servers", "detail"]) => page(
                request,
                "servers",
                &state.servers,
                state.page_size,
                Paging::Links,
            ),
            ("GET", ["compute", "v2.1", "servers"]) => {
                let names: Vec<Value> = state
                    .servers
                    .iter()
                    .map(|s| json!({"id": s["id"], "name": s["name"], "links": []}))
                    .collect();
                page(request, "servers", &names, state.page_size, Paging::Links)
            }
            ("GET", ["compute", "v2.1", "servers", id]) => match state.server_mut(id) {
                Some(s) => ok(json!({"server": s})),
                None => not_found(id),
            },
            ("GET", ["compute", "v2.1", "servers", id, "os-volume_attachments"]) => {
                match state.server_mut(id) {
                    Some(_) => ok(json!({"volumeAttachments": []})),
                    None => not_found(id),
                }
            }
            ("POST", ["compute", "v2.1", "servers", id, "action"]) => {
                server_action(&mut state, id, &body)
            }
            ("PUT", ["compute", "v2.1", "servers", id]) => {
                let Some(s) = state.server_mut(id) else {
                    return not_found(id);
                };
                if let Some(name) = body.pointer("/server/name") {
                    s["name"] = name.clone();
                }
                ok(json!({"server": s}))
            }
            (m @ ("POST" | "PUT"), ["compute", "v2.1", "servers", id, "metadata"]) => {
                let Some(s) = state.server_mut(id) else {
                    return not_found(id);
                };
                let new = body["metadata"].as_object().cloned().unwrap_or_default();
                // POST merges the keys in; PUT replaces the whole set.
                let mut meta = if m == "POST" {
                    s["metadata"].as_object().cloned().unwrap_or_default()
                } else {
                    Map::new()
                };
                meta.extend(new);
                s["metadata"] = Value::Object(meta.clone());
                ok(json!({ "metadata": meta }))
            }
            ("DELETE", ["compute", "v2.1", "servers", id]) => {
                let before = state.servers.len();
                state.servers.retain(|s| s["id"] != *id);
                if state.servers.len() == before {
                    not_found(id)
                } else {
                    ResponseTemplate::new(204)
                }
            }
            ("GET", ["compute", "v2.1", "flavors", "detail"]) => page(
                request,
                "flavors",
                &state.flavors,
                state.page_size,
                Paging::Links,
            ),
            ("GET", ["compute", "v2.1", "flavors", id]) => {
                match state.flavors.iter().find(|f| f["id"] == *id) {
                    Some(f) => ok(json!({ "flavor": f })),
                    None => nova_error(
                        404,
                        "itemNotFound",
                        format!("Flavor {id} could not be found."),
                    ),
                }
            }
            ("GET", ["compute", "v2.1", "limits"]) => {
                ok(fixture("nova/limits/v2.57/limit-get-resp.json"))
            }
            ("GET", ["image", "v2", "images"]) => page(
                request,
                "images",
                &state.images,
                state.page_size,
                Paging::Glance,
            ),
            ("GET", ["image", "v2", "images", id]) => {
                match state.images.iter().find(|i| i["id"] == *id) {
                    Some(i) => ok(i.clone()),
                    None => ResponseTemplate::new(404)
                        .set_body_string(format!("No image found with ID {id}")),
                }
            }
            ("GET", [v, vv, p, "volumes", "detail"]) if [*v, *vv, *p] == volume_root => page(
                request,
                "volumes",
                &state.volumes,
                state.page_size,
                Paging::Links,
            ),
            ("GET", [v, vv, p, "limits"]) if [*v, *vv, *p] == volume_root => {
                ok(fixture("cinder/limits/limits-show-response.json"))
            }
            ("GET", ["network", "v2.0", "quotas", _, "details"]) => ok(fixture(
                "neutron/quota_details/quota-details-show-for-project-response.json",
            )),
            ("GET", ["network", "v2.0", collection]) => {
                let (key, rows) = match *collection {
                    "networks" => ("networks", &state.networks),
                    "subnets" => ("subnets", &state.subnets),
                    "security-groups" => ("security_groups", &state.security_groups),
                    "floatingips" => ("floatingips", &state.floatingips),
                    "ports" => ("ports", &state.ports),
                    _ => {
                        return ResponseTemplate::new(404).set_body_json(json!({"NeutronError":
                            {"type": "HTTPNotFound", "message": "The resource could not be found.", "detail": ""}}));
                    }
                };
                page(request, key, rows, state.page_size, Paging::Links)
            }
            _ => nova_error(
                404,
                "itemNotFound",
                format!("The resource could not be found: {method} {path}"),
            ),
        }
    }
}

/// `POST /servers/{id}/action`: the states each action is accepted in, from nova's
/// `check_instance_state`, and the state it leaves the server in.
fn server_action(state: &mut CloudState, id: &str, body: &Value) -> ResponseTemplate {
    let Some(name) = body.as_object().and_then(|o| o.keys().next()).cloned() else {
        return nova_error(400, "badRequest", "Malformed request body".into());
    };
    let flavor_ref = body.pointer("/resize/flavorRef").map(|f| match f {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let flavor = flavor_ref.as_ref().and_then(|r| {
        state
            .flavors
            .iter()
            .find(|f| f["id"] == *r.as_str())
            .cloned()
    });
    let image_id = state.new_id("image");
    let Some(server) = state.server_mut(id) else {
        return not_found(id);
    };
    let status = server["status"].as_str().unwrap_or("").to_string();
    let vm_state = server["OS-EXT-STS:vm_state"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if let Some(locked) = match name.as_str() {
        "lock" => Some(true),
        "unlock" => Some(false),
        _ => None,
    } {
        // Locking is no state change: nova accepts it in any state, and again when the
        // server is already locked (or unlocked).
        server["locked"] = json!(locked);
        return ResponseTemplate::new(202);
    }
    // (nova's name of the action in its message, vm_states it is accepted in, status after)
    let (verb, accepted, after): (&str, &[&str], Option<&str>) = match name.as_str() {
        "os-start" => ("start", &["stopped"], Some("ACTIVE")),
        "os-stop" => ("stop", &["active", "error"], Some("SHUTOFF")),
        "pause" => ("pause", &["active"], Some("PAUSED")),
        "unpause" => ("unpause", &["paused"], Some("ACTIVE")),
        "suspend" => ("suspend", &["active"], Some("SUSPENDED")),
        "resume" => ("resume", &["suspended"], Some("ACTIVE")),
        "reboot" if body.pointer("/reboot/type").and_then(Value::as_str) == Some("HARD") => (
            "reboot",
            &["active", "stopped", "paused", "suspended", "error"],
            Some("ACTIVE"),
        ),
        "reboot" => ("reboot", &["active"], Some("ACTIVE")),
        "createImage" => (
            "createImage",
            &["active", "stopped", "paused", "suspended"],
            None,
        ),
        "resize" => ("resize", &["active", "stopped"], Some("VERIFY_RESIZE")),
        "confirmResize" => ("confirmResize", &["resized"], None),
        "revertResize" => ("revertResize", &["resized"], None),
        other => {
            return nova_error(
                400,
                "badRequest",
                format!("There is no such action: {other}"),
            );
        }
    };
    if !accepted.contains(&vm_state.as_str()) {
        return nova_error(
            409,
            "conflictingRequest",
            format!("Cannot '{verb}' instance {id} while it is in vm_state {vm_state}"),
        );
    }
    match name.as_str() {
        "createImage" => {
            let image_name = body
                .pointer("/createImage/name")
                .cloned()
                .unwrap_or_default();
            let mut image = state.images.first().cloned().unwrap_or_else(|| json!({}));
            image["id"] = json!(image_id);
            image["name"] = image_name;
            image["status"] = json!("active");
            image["visibility"] = json!("private");
            state.images.push(image);
            return ResponseTemplate::new(202).set_body_json(json!({ "image_id": image_id }));
        }
        "resize" => {
            let Some(flavor) = flavor else {
                return nova_error(
                    400,
                    "badRequest",
                    format!(
                        "Invalid flavorRef provided: {}",
                        flavor_ref.unwrap_or_default()
                    ),
                );
            };
            let server = state.server_mut(id).expect("the server looked up above");
            let old = std::mem::replace(&mut server["flavor"], embedded_flavor(&flavor));
            state.resized_from.push((id.to_string(), old, status));
        }
        "confirmResize" | "revertResize" => {
            let Some(at) = state.resized_from.iter().position(|(s, _, _)| s == id) else {
                return nova_error(400, "badRequest", "Instance has not been resized.".into());
            };
            let (_, old, before) = state.resized_from.remove(at);
            let server = state.server_mut(id).expect("the server looked up above");
            if name == "revertResize" {
                server["flavor"] = old;
            }
            set_status(server, &before);
            return ResponseTemplate::new(if name == "revertResize" { 202 } else { 204 });
        }
        _ => {}
    }
    if let (Some(after), Some(server)) = (after, state.server_mut(id)) {
        set_status(server, after);
    }
    ResponseTemplate::new(202)
}

/// A flavor as servers embed it from microversion 2.47 on.
fn embedded_flavor(flavor: &Value) -> Value {
    json!({
        "original_name": flavor["name"],
        "vcpus": flavor["vcpus"],
        "ram": flavor["ram"],
        "disk": flavor["disk"],
        "ephemeral": flavor["OS-FLV-EXT-DATA:ephemeral"],
        "swap": flavor["swap"],
        "extra_specs": flavor.get("extra_specs").cloned().unwrap_or_else(|| json!({})),
    })
}

/// A mock cloud whose Nova, Glance, Cinder and Neutron answers come from a [`CloudState`]
/// made of the samples, and the handle on that state.
pub async fn stateful_cloud() -> (Cloud, Stateful) {
    let c = cloud("2.104").await;
    let state = Stateful(Arc::new(Mutex::new(CloudState::from_samples())));
    // Below Keystone and the version documents, which `cloud` mounted: everything else.
    Mock::given(any())
        .respond_with(state.clone())
        .with_priority(10)
        .mount(&c.server)
        .await;
    (c, state)
}
