//! Where the cloud's credentials come from: `clouds.yaml` (+ `secure.yaml` merged over it), a
//! cloud name (`--cloud` or `OS_CLOUD`), or plain `OS_*` variables. The environment is passed in
//! as a map so nothing here reads the process environment by itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::secret::Secret;

/// What the token request is scoped to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Project {
        id: Option<String>,
        name: Option<String>,
        domain_id: Option<String>,
        domain_name: Option<String>,
    },
    Domain {
        id: Option<String>,
        name: Option<String>,
    },
    /// Application credentials carry their own scope.
    None,
}

/// How to authenticate against Keystone v3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    Password {
        username: Option<String>,
        user_id: Option<String>,
        user_domain_name: Option<String>,
        user_domain_id: Option<String>,
        /// `None` until given: `main` prompts for it (see [`needs_password`]).
        password: Option<Secret>,
        scope: Scope,
    },
    ApplicationCredential {
        id: Option<String>,
        name: Option<String>,
        /// Needed with `name`: the owner of the credential.
        username: Option<String>,
        user_id: Option<String>,
        user_domain_name: Option<String>,
        user_domain_id: Option<String>,
        secret: Secret,
    },
    Token {
        token: Secret,
        scope: Scope,
    },
}

impl AuthMethod {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Password { .. } => "password",
            Self::ApplicationCredential { .. } => "application_credential",
            Self::Token { .. } => "token",
        }
    }
}

/// One cloud, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudConfig {
    /// The cloud's name in clouds.yaml (`None` when it came from `OS_*` variables).
    pub name: Option<String>,
    pub auth_url: String,
    pub auth: AuthMethod,
    pub region: Option<String>,
    /// `public` (default), `internal` or `admin`.
    pub interface: String,
    pub cacert: Option<PathBuf>,
    /// `false` = accept any certificate (`verify: false` / `OS_INSECURE`).
    pub verify: bool,
}

/// Whether the password is still missing, so `main` must prompt for it before the UI starts.
pub fn needs_password(config: &CloudConfig) -> bool {
    matches!(&config.auth, AuthMethod::Password { password, .. } if password.as_ref().is_none_or(Secret::is_empty))
}

/// Set the password (after prompting); no effect for other methods.
pub fn set_password(config: &mut CloudConfig, value: Secret) {
    if let AuthMethod::Password { password, .. } = &mut config.auth {
        *password = Some(value);
    }
}

/// Where the files are looked for, and the environment.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    pub env: HashMap<String, String>,
    /// Directories searched in order for `clouds.yaml` / `secure.yaml` (after
    /// `OS_CLIENT_CONFIG_FILE`).
    pub dirs: Vec<PathBuf>,
}

impl Discovery {
    /// The standard order: current directory, `~/.config/openstack/`, `/etc/openstack/`.
    pub fn standard(env: HashMap<String, String>) -> Self {
        let mut dirs = Vec::new();
        if let Ok(cwd) = std::env::current_dir() {
            dirs.push(cwd);
        }
        let home = env
            .get("HOME")
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()));
        if let Some(home) = home {
            dirs.push(home.join(".config").join("openstack"));
        }
        dirs.push(PathBuf::from("/etc/openstack"));
        Self { env, dirs }
    }

    fn var(&self, key: &str) -> Option<String> {
        self.env
            .get(key)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    fn find(&self, explicit_var: &str, names: &[&str]) -> Option<PathBuf> {
        if let Some(p) = self.var(explicit_var) {
            return Some(PathBuf::from(p));
        }
        self.dirs
            .iter()
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .find(|p| p.is_file())
    }

    /// The clouds.yaml in use, if any.
    pub fn clouds_file(&self) -> Option<PathBuf> {
        self.find("OS_CLIENT_CONFIG_FILE", &["clouds.yaml", "clouds.yml"])
    }

    fn secure_file(&self) -> Option<PathBuf> {
        self.find("OS_CLIENT_SECURE_FILE", &["secure.yaml", "secure.yml"])
    }
}

/// Resolve the cloud: `cloud` (or `OS_CLOUD`) from clouds.yaml, else the `OS_*` variables.
pub fn load(cloud: Option<&str>, discovery: &Discovery) -> Result<CloudConfig, String> {
    let name = cloud
        .map(str::to_string)
        .filter(|s| !s.is_empty())
        .or_else(|| discovery.var("OS_CLOUD"));
    match name {
        Some(name) => from_files(&name, discovery),
        None => from_env(discovery),
    }
}

/// Largest clouds.yaml / secure.yaml read: real ones are a few KiB.
const MAX_YAML_BYTES: u64 = 1024 * 1024;
/// Most nodes a YAML document may have once its aliases are expanded. An alias is a reference,
/// but deserializing copies the anchor each time: a small file that reuses a large anchor
/// thousands of times would otherwise grow to gigabytes.
const MAX_YAML_NODES: usize = 100_000;

fn read_yaml(path: &Path) -> Result<Value, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    let too_big = || {
        format!(
            "{} is larger than {} KiB; a clouds.yaml is a few KiB, refusing to read it",
            path.display(),
            MAX_YAML_BYTES / 1024
        )
    };
    if file.metadata().map_err(cannot)?.len() > MAX_YAML_BYTES {
        return Err(too_big());
    }
    let mut text = String::new();
    file.take(MAX_YAML_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(cannot)?;
    if text.len() as u64 > MAX_YAML_BYTES {
        return Err(too_big());
    }
    parse_yaml(&text).map_err(|e| format!("{} {e}", path.display()))
}

/// Parse YAML into JSON values, refusing documents that expand past [`MAX_YAML_NODES`].
fn parse_yaml(text: &str) -> Result<Value, String> {
    use serde::de::DeserializeSeed;
    let nodes = std::cell::Cell::new(0);
    let counted = NodeBudget {
        nodes: &nodes,
        max: MAX_YAML_NODES,
    }
    .deserialize(serde_norway::Deserializer::from_str(text));
    if let Err(e) = counted {
        return Err(if nodes.get() > MAX_YAML_NODES {
            format!(
                "expands to more than {MAX_YAML_NODES} nodes (its aliases repeat large anchors); refusing it"
            )
        } else {
            format!("is not valid YAML: {e}")
        });
    }
    serde_norway::from_str::<Value>(text).map_err(|e| format!("is not valid YAML: {e}"))
}

/// Walks a document as the deserializer expands it, counting nodes and stopping at `max`,
/// without building anything.
#[derive(Clone, Copy)]
struct NodeBudget<'a> {
    nodes: &'a std::cell::Cell<usize>,
    max: usize,
}

impl NodeBudget<'_> {
    fn tick<E: serde::de::Error>(self) -> Result<(), E> {
        let n = self.nodes.get() + 1;
        self.nodes.set(n);
        if n > self.max {
            return Err(E::custom("too many nodes"));
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for NodeBudget<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! count_scalar {
    ($($name:ident: $ty:ty),*) => {
        $(fn $name<E: serde::de::Error>(self, _: $ty) -> Result<(), E> {
            self.tick()
        })*
    };
}

impl<'de> serde::de::Visitor<'de> for NodeBudget<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    count_scalar!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128,
        visit_u128: u128, visit_f64: f64, visit_str: &str, visit_bytes: &[u8]);

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.tick()
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.tick()
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.tick()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.tick()?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }

    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

/// Merge `over` into `base`, recursively for maps.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn from_files(name: &str, d: &Discovery) -> Result<CloudConfig, String> {
    let clouds_path = d.clouds_file().ok_or_else(|| {
        format!("cloud {name:?}: no clouds.yaml found (set OS_CLIENT_CONFIG_FILE or put one in ~/.config/openstack/)")
    })?;
    let mut doc = read_yaml(&clouds_path)?;
    if let Some(secure) = d.secure_file().filter(|p| p.is_file()) {
        merge(&mut doc, read_yaml(&secure)?);
    }
    let file = clouds_path.display().to_string();
    let cloud = doc
        .get("clouds")
        .and_then(|c| c.get(name))
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{file}: no cloud named {name:?} under `clouds:`"))?;
    let empty = Map::new();
    let auth = cloud
        .get("auth")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let get = |m: &Map<String, Value>, k: &str| -> Option<String> {
        match m.get(k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    };
    let a = |k: &str| get(auth, k);
    let auth_url =
        a("auth_url").ok_or_else(|| format!("{file}: cloud {name:?} has no `auth.auth_url`"))?;
    let auth_type = get(cloud, "auth_type");
    let fields = Fields {
        auth_type,
        username: a("username"),
        user_id: a("user_id"),
        password: a("password"),
        user_domain_name: a("user_domain_name").or_else(|| {
            a("domain_name").filter(|_| a("project_name").is_some() || a("project_id").is_some())
        }),
        user_domain_id: a("user_domain_id"),
        project_id: a("project_id").or_else(|| a("tenant_id")),
        project_name: a("project_name").or_else(|| a("tenant_name")),
        project_domain_name: a("project_domain_name"),
        project_domain_id: a("project_domain_id"),
        domain_name: a("domain_name"),
        domain_id: a("domain_id"),
        app_id: a("application_credential_id"),
        app_name: a("application_credential_name"),
        app_secret: a("application_credential_secret"),
        token: a("token"),
    };
    let method = fields
        .method()
        .map_err(|m| format!("{file}: cloud {name:?}: {m}"))?;
    let verify = match cloud.get("verify") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !matches!(s.to_ascii_lowercase().as_str(), "false" | "no" | "0"),
        _ => !matches!(cloud.get("insecure"), Some(Value::Bool(true))),
    };
    Ok(CloudConfig {
        name: Some(name.to_string()),
        auth_url,
        auth: method,
        region: get(cloud, "region_name").or_else(|| {
            cloud
                .get("regions")
                .and_then(Value::as_array)
                .and_then(|r| r.first())
                .and_then(|r| {
                    r.as_str()
                        .map(str::to_string)
                        .or_else(|| r.get("name").and_then(Value::as_str).map(str::to_string))
                })
        }),
        interface: get(cloud, "interface")
            .or_else(|| get(cloud, "endpoint_type"))
            .map(|i| i.trim_end_matches("URL").to_ascii_lowercase())
            .unwrap_or_else(|| "public".into()),
        cacert: get(cloud, "cacert").map(PathBuf::from),
        verify,
    })
}

struct Fields {
    auth_type: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
    password: Option<String>,
    user_domain_name: Option<String>,
    user_domain_id: Option<String>,
    project_id: Option<String>,
    project_name: Option<String>,
    project_domain_name: Option<String>,
    project_domain_id: Option<String>,
    domain_name: Option<String>,
    domain_id: Option<String>,
    app_id: Option<String>,
    app_name: Option<String>,
    app_secret: Option<String>,
    token: Option<String>,
}

impl Fields {
    fn scope(&self) -> Scope {
        if self.project_id.is_some() || self.project_name.is_some() {
            Scope::Project {
                id: self.project_id.clone(),
                name: self.project_name.clone(),
                domain_id: self.project_domain_id.clone(),
                domain_name: self.project_domain_name.clone().or_else(|| {
                    self.project_domain_id
                        .is_none()
                        .then(|| self.user_domain_name.clone())
                        .flatten()
                }),
            }
        } else if self.domain_id.is_some() || self.domain_name.is_some() {
            Scope::Domain {
                id: self.domain_id.clone(),
                name: self.domain_name.clone(),
            }
        } else {
            Scope::None
        }
    }

    fn method(&self) -> Result<AuthMethod, String> {
        let kind = self
            .auth_type
            .as_deref()
            .map(|t| t.to_ascii_lowercase().replace(['-', '_'], ""));
        let kind = match kind.as_deref() {
            Some("v3applicationcredential" | "applicationcredential") => "app",
            Some("token" | "v3token") => "token",
            Some("password" | "v3password") => "password",
            Some(other) => {
                return Err(format!(
                    "auth_type {other:?} is not supported (password, v3applicationcredential, token)"
                ));
            }
            None if self.app_secret.is_some() || self.app_id.is_some() => "app",
            None if self.token.is_some() && self.password.is_none() => "token",
            None => "password",
        };
        match kind {
            "app" => {
                let secret = self
                    .app_secret
                    .clone()
                    .ok_or("missing key `application_credential_secret`")?;
                if self.app_id.is_none() && self.app_name.is_none() {
                    return Err("missing key `application_credential_id` (or `application_credential_name`)".into());
                }
                if self.app_id.is_none() && self.username.is_none() && self.user_id.is_none() {
                    return Err(
                        "missing key `username` (needed with `application_credential_name`)".into(),
                    );
                }
                Ok(AuthMethod::ApplicationCredential {
                    id: self.app_id.clone(),
                    name: self.app_name.clone(),
                    username: self.username.clone(),
                    user_id: self.user_id.clone(),
                    user_domain_name: self.user_domain_name.clone(),
                    user_domain_id: self.user_domain_id.clone(),
                    secret: Secret::new(secret),
                })
            }
            "token" => Ok(AuthMethod::Token {
                token: Secret::new(self.token.clone().ok_or("missing key `token`")?),
                scope: self.scope(),
            }),
            _ => {
                if self.username.is_none() && self.user_id.is_none() {
                    return Err("missing key `username`".into());
                }
                if self.user_id.is_none()
                    && self.user_domain_name.is_none()
                    && self.user_domain_id.is_none()
                {
                    return Err("missing key `user_domain_name` (or `user_domain_id`)".into());
                }
                Ok(AuthMethod::Password {
                    username: self.username.clone(),
                    user_id: self.user_id.clone(),
                    user_domain_name: self.user_domain_name.clone(),
                    user_domain_id: self.user_domain_id.clone(),
                    password: self.password.clone().map(Secret::new),
                    scope: self.scope(),
                })
            }
        }
    }
}

fn from_env(d: &Discovery) -> Result<CloudConfig, String> {
    let v = |k: &str| d.var(k);
    let auth_url = v("OS_AUTH_URL").ok_or(
        "no cloud given: pass --cloud NAME, set OS_CLOUD, or set OS_AUTH_URL and the other OS_* variables",
    )?;
    let fields = Fields {
        auth_type: v("OS_AUTH_TYPE"),
        username: v("OS_USERNAME"),
        user_id: v("OS_USER_ID"),
        password: v("OS_PASSWORD"),
        user_domain_name: v("OS_USER_DOMAIN_NAME"),
        user_domain_id: v("OS_USER_DOMAIN_ID"),
        project_id: v("OS_PROJECT_ID").or_else(|| v("OS_TENANT_ID")),
        project_name: v("OS_PROJECT_NAME").or_else(|| v("OS_TENANT_NAME")),
        project_domain_name: v("OS_PROJECT_DOMAIN_NAME"),
        project_domain_id: v("OS_PROJECT_DOMAIN_ID"),
        domain_name: v("OS_DOMAIN_NAME"),
        domain_id: v("OS_DOMAIN_ID"),
        app_id: v("OS_APPLICATION_CREDENTIAL_ID"),
        app_name: v("OS_APPLICATION_CREDENTIAL_NAME"),
        app_secret: v("OS_APPLICATION_CREDENTIAL_SECRET"),
        token: v("OS_TOKEN"),
    };
    let method = fields
        .method()
        .map_err(|m| format!("OS_* environment: {}", env_key_names(&m)))?;
    let insecure = v("OS_INSECURE")
        .map(|s| matches!(s.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false);
    Ok(CloudConfig {
        name: None,
        auth_url,
        auth: method,
        region: v("OS_REGION_NAME"),
        interface: v("OS_INTERFACE")
            .or_else(|| v("OS_ENDPOINT_TYPE"))
            .map(|i| i.trim_end_matches("URL").to_ascii_lowercase())
            .unwrap_or_else(|| "public".into()),
        cacert: v("OS_CACERT").map(PathBuf::from),
        verify: !insecure,
    })
}

/// Name the variables rather than the clouds.yaml keys in an error about the environment.
fn env_key_names(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("OS_{}", part.to_ascii_uppercase())
            } else {
                part.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn clouds_yaml_with_secure_yaml_merged() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("clouds.yaml"),
            "clouds:\n  c1:\n    auth:\n      auth_url: http://k:5000/v3\n      username: u\n      project_name: p\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: R1\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("secure.yaml"),
            "clouds:\n  c1:\n    auth:\n      password: s3cret\n",
        )
        .unwrap();
        let d = Discovery {
            env: env(&[("OS_CLOUD", "c1")]),
            dirs: vec![dir.path().to_path_buf()],
        };
        let c = load(None, &d).unwrap();
        assert_eq!(c.region.as_deref(), Some("R1"));
        assert_eq!(c.interface, "public");
        assert!(!needs_password(&c));
        assert!(!format!("{c:?}").contains("s3cret"));
        match c.auth {
            AuthMethod::Password { scope, .. } => {
                assert!(matches!(scope, Scope::Project { name: Some(n), .. } if n == "p"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_key_names_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, "clouds:\n  c1:\n    auth:\n      username: u\n").unwrap();
        let d = Discovery {
            env: env(&[("OS_CLIENT_CONFIG_FILE", path.to_str().unwrap())]),
            dirs: vec![],
        };
        let e = load(Some("c1"), &d).unwrap_err();
        assert!(e.contains("c.yaml") && e.contains("auth.auth_url"), "{e}");
        let e = load(Some("nope"), &d).unwrap_err();
        assert!(e.contains("nope"), "{e}");
    }

    #[test]
    fn env_variables_password_without_password_needs_prompt() {
        let d = Discovery {
            env: env(&[
                ("OS_AUTH_URL", "http://k:5000/v3"),
                ("OS_USERNAME", "u"),
                ("OS_PROJECT_NAME", "p"),
                ("OS_USER_DOMAIN_NAME", "Default"),
                ("OS_INSECURE", "true"),
                ("OS_INTERFACE", "internal"),
            ]),
            dirs: vec![],
        };
        let mut c = load(None, &d).unwrap();
        assert!(needs_password(&c));
        assert!(!c.verify);
        assert_eq!(c.interface, "internal");
        set_password(&mut c, Secret::new("x"));
        assert!(!needs_password(&c));
    }

    #[test]
    fn env_application_credential_and_domain_scope() {
        let d = Discovery {
            env: env(&[
                ("OS_AUTH_URL", "http://k:5000/v3"),
                ("OS_APPLICATION_CREDENTIAL_ID", "abc"),
                ("OS_APPLICATION_CREDENTIAL_SECRET", "zzz"),
            ]),
            dirs: vec![],
        };
        let c = load(None, &d).unwrap();
        assert!(matches!(c.auth, AuthMethod::ApplicationCredential { .. }));
        let d = Discovery {
            env: env(&[
                ("OS_AUTH_URL", "http://k:5000/v3"),
                ("OS_USERNAME", "u"),
                ("OS_PASSWORD", "pw"),
                ("OS_USER_DOMAIN_NAME", "Default"),
                ("OS_DOMAIN_NAME", "Default"),
            ]),
            dirs: vec![],
        };
        let c = load(None, &d).unwrap();
        assert!(matches!(
            c.auth,
            AuthMethod::Password {
                scope: Scope::Domain { .. },
                ..
            }
        ));
        let d = Discovery {
            env: env(&[("OS_AUTH_URL", "http://k:5000/v3"), ("OS_PASSWORD", "pw")]),
            dirs: vec![],
        };
        let e = load(None, &d).unwrap_err();
        assert!(e.contains("OS_USERNAME"), "{e}");
    }

    #[test]
    fn search_order_and_explicit_file() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let yaml = |url: &str| {
            format!(
                "clouds:\n  c:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: {url}\n      application_credential_id: id1\n      application_credential_secret: sec\n    verify: false\n    interface: internalURL\n"
            )
        };
        std::fs::write(second.path().join("clouds.yaml"), yaml("http://second")).unwrap();
        let d = Discovery {
            env: env(&[]),
            dirs: vec![first.path().to_path_buf(), second.path().to_path_buf()],
        };
        let c = load(Some("c"), &d).unwrap();
        assert_eq!(c.auth_url, "http://second");
        assert!(!c.verify);
        assert_eq!(c.interface, "internal");
        assert!(matches!(c.auth, AuthMethod::ApplicationCredential { .. }));
        assert!(!format!("{c:?}").contains("sec\""));
        std::fs::write(first.path().join("clouds.yaml"), yaml("http://first")).unwrap();
        assert_eq!(load(Some("c"), &d).unwrap().auth_url, "http://first");
        let explicit = second.path().join("clouds.yaml");
        let d = Discovery {
            env: env(&[("OS_CLIENT_CONFIG_FILE", explicit.to_str().unwrap())]),
            ..d
        };
        assert_eq!(load(Some("c"), &d).unwrap().auth_url, "http://second");
    }

    #[test]
    fn token_method_and_unknown_auth_type() {
        let d = Discovery {
            env: env(&[
                ("OS_AUTH_URL", "http://k:5000/v3"),
                ("OS_AUTH_TYPE", "v3token"),
                ("OS_TOKEN", "gAAAA"),
                ("OS_PROJECT_ID", "p1"),
            ]),
            dirs: vec![],
        };
        let c = load(None, &d).unwrap();
        assert!(matches!(
            c.auth,
            AuthMethod::Token {
                scope: Scope::Project { .. },
                ..
            }
        ));
        assert!(!needs_password(&c));
        assert!(!format!("{c:?}").contains("gAAAA"));
        let d = Discovery {
            env: env(&[("OS_AUTH_URL", "http://k"), ("OS_AUTH_TYPE", "saml2")]),
            dirs: vec![],
        };
        assert!(load(None, &d).unwrap_err().contains("saml2"));
    }

    /// One anchor of 10,000 scalars reused 20,000 times: 180 KB on disk, 200 million nodes
    /// expanded. Refused quickly, by name, before anything is built.
    #[test]
    fn alias_fan_out_is_refused_quickly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clouds.yaml");
        let anchor = vec!["xxxxxxx"; 10_000].join(", ");
        let aliases = vec!["*a"; 20_000].join(", ");
        let text = format!("big: &a [{anchor}]\nclouds:\n  c: {{fan: [{aliases}]}}\n");
        assert!((150_000..200_000).contains(&text.len()), "{}", text.len());
        std::fs::write(&path, text).unwrap();
        let d = Discovery {
            env: env(&[("OS_CLIENT_CONFIG_FILE", path.to_str().unwrap())]),
            dirs: vec![],
        };
        let start = std::time::Instant::now();
        let e = load(Some("c"), &d).unwrap_err();
        assert!(
            e.contains("clouds.yaml") && e.contains("100000 nodes"),
            "{e}"
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // The same anchor used a few times is an ordinary document.
        assert!(parse_yaml(&format!("a: &a [{anchor}]\nb: [*a, *a, *a]\n")).is_ok());
    }

    #[test]
    fn oversized_file_is_refused_by_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clouds.yaml");
        let mut text = "clouds:\n  c:\n    auth: {auth_url: http://k}\n".to_string();
        text.push_str(&format!("# {}\n", "x".repeat(2 * 1024 * 1024)));
        std::fs::write(&path, text).unwrap();
        let d = Discovery {
            env: env(&[("OS_CLIENT_CONFIG_FILE", path.to_str().unwrap())]),
            dirs: vec![],
        };
        let e = load(Some("c"), &d).unwrap_err();
        assert!(e.contains("larger than 1024 KiB"), "{e}");
    }
}
