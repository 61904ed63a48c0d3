//! Keystone v3: the token request bodies, the token and its catalog, and the token cache.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::clouds::{AuthMethod, CloudConfig, Scope};
use super::secret::Secret;

/// One endpoint of one service in the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub service_type: String,
    pub interface: String,
    pub region: Option<String>,
    pub url: String,
}

/// A scoped token with what came with it.
#[derive(Clone, Debug)]
pub struct Token {
    pub value: Secret,
    /// Seconds since the epoch; `None` when Keystone gave no readable expiry.
    pub expires_at: Option<i64>,
    pub catalog: Vec<Endpoint>,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub user_id: Option<String>,
    pub roles: Vec<String>,
}

impl Token {
    /// Whether the token must be renewed (less than `margin_secs` left).
    pub fn needs_renewal(&self, now: i64, margin_secs: i64) -> bool {
        self.expires_at.is_some_and(|e| e - now < margin_secs)
    }

    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }

    /// The endpoint of a service type (first match in `types`) for an interface and region.
    pub fn endpoint(
        &self,
        types: &[&str],
        interface: &str,
        region: Option<&str>,
    ) -> Option<String> {
        types.iter().find_map(|t| {
            self.catalog
                .iter()
                .filter(|e| e.service_type == *t && e.interface == interface)
                .find(|e| region.is_none_or(|r| e.region.as_deref() == Some(r)))
                .map(|e| e.url.trim_end_matches('/').to_string())
        })
    }

    /// Regions present in the catalog, sorted.
    pub fn regions(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .catalog
            .iter()
            .filter_map(|e| e.region.clone())
            .collect();
        r.sort();
        r.dedup();
        r
    }
}

/// Seconds since the epoch now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Parse `2015-11-06T15:32:17.893769Z` (zone optional, assumed UTC; `+hh:mm` honoured).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut offset = 0;
    let rest = s.get(19..).unwrap_or("");
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
        let t = &rest[1..];
        let oh = t.get(0..2).and_then(|x| x.parse::<i64>().ok()).unwrap_or(0);
        let om = t.get(3..5).and_then(|x| x.parse::<i64>().ok()).unwrap_or(0);
        offset = (oh * 3600 + om * 60) * if sign == '+' { 1 } else { -1 };
    }
    let days = crate::civil::days_from_civil(y, u32::try_from(mo).ok()?, u32::try_from(d).ok()?);
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

fn user_json(
    username: &Option<String>,
    user_id: &Option<String>,
    domain_name: &Option<String>,
    domain_id: &Option<String>,
) -> Value {
    let mut u = serde_json::Map::new();
    if let Some(id) = user_id {
        u.insert("id".into(), json!(id));
    } else if let Some(name) = username {
        u.insert("name".into(), json!(name));
        if let Some(id) = domain_id {
            u.insert("domain".into(), json!({ "id": id }));
        } else if let Some(name) = domain_name {
            u.insert("domain".into(), json!({ "name": name }));
        }
    }
    Value::Object(u)
}

fn scope_json(scope: &Scope, project_override: Option<&str>) -> Option<Value> {
    if let Some(pid) = project_override {
        return Some(json!({ "project": { "id": pid } }));
    }
    match scope {
        Scope::Project {
            id,
            name,
            domain_id,
            domain_name,
        } => {
            let project = if let Some(id) = id {
                json!({ "id": id })
            } else {
                let domain = match (domain_id, domain_name) {
                    (Some(i), _) => json!({ "id": i }),
                    (None, Some(n)) => json!({ "name": n }),
                    (None, None) => json!({ "id": "default" }),
                };
                json!({ "name": name, "domain": domain })
            };
            Some(json!({ "project": project }))
        }
        Scope::Domain { id, name } => Some(match id {
            Some(i) => json!({ "domain": { "id": i } }),
            None => json!({ "domain": { "name": name } }),
        }),
        Scope::None => None,
    }
}

/// The body of `POST /v3/auth/tokens`; `project_override` re-scopes to another project.
pub fn token_request(config: &CloudConfig, project_override: Option<&str>) -> Value {
    let mut auth = match &config.auth {
        AuthMethod::Password {
            username,
            user_id,
            user_domain_name,
            user_domain_id,
            password,
            scope,
        } => {
            let mut user = user_json(username, user_id, user_domain_name, user_domain_id);
            if let Value::Object(u) = &mut user {
                u.insert(
                    "password".into(),
                    json!(password.as_ref().map(Secret::expose).unwrap_or("")),
                );
            }
            let mut a =
                json!({ "identity": { "methods": ["password"], "password": { "user": user } } });
            if let (Some(s), Value::Object(m)) = (scope_json(scope, project_override), &mut a) {
                m.insert("scope".into(), s);
            }
            a
        }
        AuthMethod::ApplicationCredential {
            id,
            name,
            username,
            user_id,
            user_domain_name,
            user_domain_id,
            secret,
        } => {
            let cred = match id {
                Some(id) => json!({ "id": id, "secret": secret.expose() }),
                None => json!({
                    "name": name,
                    "secret": secret.expose(),
                    "user": user_json(username, user_id, user_domain_name, user_domain_id),
                }),
            };
            json!({ "identity": { "methods": ["application_credential"], "application_credential": cred } })
        }
        AuthMethod::Token { token, scope } => {
            let mut a =
                json!({ "identity": { "methods": ["token"], "token": { "id": token.expose() } } });
            if let (Some(s), Value::Object(m)) = (scope_json(scope, project_override), &mut a) {
                m.insert("scope".into(), s);
            }
            a
        }
    };
    if let Value::Object(m) = &mut auth {
        m.retain(|_, v| !v.is_null());
    }
    json!({ "auth": auth })
}

/// Read the token body (the id comes from the `X-Subject-Token` header).
pub fn parse_token(value: Secret, body: &Value) -> Result<Token, String> {
    let t = body
        .get("token")
        .ok_or("Keystone answered without a `token` object")?;
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let mut catalog = Vec::new();
    for svc in t
        .get("catalog")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(ty) = s(svc.get("type")) else {
            continue;
        };
        for ep in svc
            .get("endpoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(interface), Some(url)) = (s(ep.get("interface")), s(ep.get("url"))) else {
                continue;
            };
            catalog.push(Endpoint {
                service_type: ty.clone(),
                interface,
                region: s(ep.get("region_id")).or_else(|| s(ep.get("region"))),
                url,
            });
        }
    }
    Ok(Token {
        value,
        expires_at: s(t.get("expires_at")).as_deref().and_then(parse_timestamp),
        catalog,
        project_id: s(t.pointer("/project/id")),
        project_name: s(t.pointer("/project/name")),
        user_id: s(t.pointer("/user/id")),
        roles: t
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| s(r.get("name")))
            .collect(),
    })
}

/// The token cache: one JSON file (mode 0600) per cloud identity.
#[derive(Serialize, Deserialize)]
struct CacheEntry {
    token: String,
    expires_at: Option<i64>,
    catalog: Vec<Endpoint>,
    project_id: Option<String>,
    project_name: Option<String>,
    user_id: Option<String>,
    roles: Vec<String>,
}

/// The cache file for this identity: hash of (auth URL, user, scope, region, method).
pub fn cache_path(dir: &Path, config: &CloudConfig, project_override: Option<&str>) -> PathBuf {
    let (user, scope) = match &config.auth {
        AuthMethod::Password {
            username,
            user_id,
            user_domain_name,
            user_domain_id,
            scope,
            ..
        } => (
            format!("{username:?}/{user_id:?}/{user_domain_name:?}/{user_domain_id:?}"),
            format!("{scope:?}"),
        ),
        AuthMethod::ApplicationCredential {
            id,
            name,
            username,
            user_id,
            ..
        } => (
            format!("{id:?}/{name:?}/{username:?}/{user_id:?}"),
            String::new(),
        ),
        // The token itself identifies the user; hash it rather than store it in the name.
        AuthMethod::Token { token, scope } => (
            format!("{:x}", Sha256::digest(token.expose().as_bytes())),
            format!("{scope:?}"),
        ),
    };
    let key = format!(
        "{}\n{user}\n{scope}\n{project_override:?}\n{:?}\n{}",
        config.auth_url,
        config.region,
        config.auth.name()
    );
    let hash = format!("{:x}", Sha256::digest(key.as_bytes()));
    dir.join(format!("token-{}.json", &hash[..32]))
}

pub fn load_cached(path: &Path, now: i64, margin: i64) -> Option<Token> {
    let text = std::fs::read_to_string(path).ok()?;
    let e: CacheEntry = serde_json::from_str(&text).ok()?;
    let token = Token {
        value: Secret::new(e.token),
        expires_at: e.expires_at,
        catalog: e.catalog,
        project_id: e.project_id,
        project_name: e.project_name,
        user_id: e.user_id,
        roles: e.roles,
    };
    (token.expires_at.is_some() && !token.needs_renewal(now, margin)).then_some(token)
}

pub fn store_cached(path: &Path, token: &Token) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let entry = CacheEntry {
        token: token.value.expose().to_string(),
        expires_at: token.expires_at,
        catalog: token.catalog.clone(),
        project_id: token.project_id.clone(),
        project_name: token.project_name.clone(),
        user_id: token.user_id.clone(),
        roles: token.roles.clone(),
    };
    let text = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    f.write_all(text.as_bytes())?;
    drop(f);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp("2015-11-06T15:32:17.893769Z"),
            Some(1_446_823_937)
        );
        assert_eq!(parse_timestamp("2015-11-06T15:32:17"), Some(1_446_823_937));
        assert_eq!(
            parse_timestamp("2015-11-06T16:32:17+01:00"),
            Some(1_446_823_937)
        );
        assert_eq!(parse_timestamp("garbage"), None);
    }
}
