//! What the fuzz targets share: how each one reads its input, and the seeds it starts from.
//!
//! Every target is `init(name)` plus `name::run(data)`. Started with `YUN_FUZZ_SEEDS=DIR`, a
//! target writes its seed corpus into `DIR` (built from the repository's test fixtures, in the
//! target's own input format) and exits, so `scripts/fuzz.sh` keeps no corpus in the
//! repository. A target panics only where a property of the parser does not hold.

use std::path::{Path, PathBuf};

/// Separates the files or pages of one input: a byte that never occurs in UTF-8 text.
pub const SEP: u8 = 0xFF;

pub fn init(target: &str) {
    if let Some(dir) = std::env::var_os("YUN_FUZZ_SEEDS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("seed directory");
        let seeds = match target {
            "openstack_rows" => openstack_rows::seeds(),
            "next_link" => next_link::seeds(),
            "clouds_yaml" => clouds_yaml::seeds(),
            "config" => config::seeds(),
            "theme" => theme::seeds(),
            "domain_xml" => domain_xml::seeds(),
            "stats" => stats::seeds(),
            other => panic!("no seeds for {other}"),
        };
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:04}")), seed).expect("seed file");
        }
        eprintln!("{target}: {} seeds in {}", seeds.len(), dir.display());
        std::process::exit(0);
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the fuzz crate lives in the repository")
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every file under `dir` (relative to the repository) whose name ends with `ext`.
fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    fn walk(d: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(d) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, ext, out);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join(dir), ext, &mut out);
    out.sort();
    out
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&SEP)
}

/// A directory for the files one input becomes, reused by every input of the process; in
/// memory where the machine has a tmpfs, since every input rewrites its files.
fn scratch() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::Builder::new().prefix("yun-fuzz-").tempdir_in(shm)
        } else {
            tempfile::tempdir()
        };
        dir.expect("temporary directory")
    })
    .path()
}

pub mod openstack_rows {
    use std::collections::HashMap;

    use serde_json::Value;
    use yun::backend::openstack::{Secret, auth, compute, image, limits, network, volume};
    use yun::fuzzing::{openstack_rows as rows, openstack_string_map};

    /// What `de::opt_string` makes of an `id`: the row's id in the model.
    fn expected_id(v: Option<&Value>) -> Option<String> {
        match v? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn decode(values: &[Value]) {
        let names: HashMap<String, String> = HashMap::from([("a".into(), "b".into())]);
        let n = values.len();
        let check = |decoded: usize, skipped: usize| assert_eq!(decoded + skipped, n);

        let mut skipped = 0;
        let servers = rows::<compute::ServerDto>("server", values.to_vec(), &mut skipped);
        check(servers.len(), skipped);
        let mut lookups = compute::Lookups::default();
        let mut skipped = 0;
        let flavors = rows::<compute::FlavorDto>("flavor", values.to_vec(), &mut skipped);
        check(flavors.len(), skipped);
        for f in flavors {
            let _ = f.to_model();
            if let Some(id) = f.id.clone() {
                lookups.flavors.insert(id, f);
            }
        }
        let mut skipped = 0;
        let images = rows::<image::ImageDto>("image", values.to_vec(), &mut skipped);
        check(images.len(), skipped);
        for i in &images {
            let _ = i.to_model();
            if let (Some(id), Some(name)) = (i.id.clone(), i.name.clone()) {
                lookups.images.insert(id, name);
            }
        }
        for s in &servers {
            let instance = s.to_instance(&lookups);
            assert_eq!(instance.map(|i| i.id), s.id);
            let _ = openstack_string_map(Some(&s.metadata));
        }
        let mut skipped = 0;
        let volumes = rows::<volume::VolumeDto>("volume", values.to_vec(), &mut skipped);
        check(volumes.len(), skipped);
        for v in &volumes {
            let _ = v.to_model(&names);
        }
        let mut skipped = 0;
        let subnets = rows::<network::SubnetDto>("subnet", values.to_vec(), &mut skipped);
        check(subnets.len(), skipped);
        let mut skipped = 0;
        let nets = rows::<network::NetworkDto>("network", values.to_vec(), &mut skipped);
        check(nets.len(), skipped);
        for net in &nets {
            let _ = net.to_model(&subnets);
        }
        let mut skipped = 0;
        let groups = rows::<network::SecurityGroupDto>("group", values.to_vec(), &mut skipped);
        check(groups.len(), skipped);
        for g in &groups {
            let _ = g.to_model();
        }
        let mut skipped = 0;
        let fips = rows::<network::FloatingIpDto>("fip", values.to_vec(), &mut skipped);
        check(fips.len(), skipped);
        for f in &fips {
            let _ = f.to_model(&names, &names, &names);
        }
        let mut skipped = 0;
        let ports = rows::<network::PortDto>("port", values.to_vec(), &mut skipped);
        check(ports.len(), skipped);
        for p in &ports {
            let _ = p.to_model(&names, &names);
        }
        // One row at a time: a decoded server has the id its JSON says.
        for v in values {
            let one = rows::<compute::ServerDto>("server", vec![v.clone()], &mut 0);
            if let Some(s) = one.first() {
                assert_eq!(s.id, expected_id(v.get("id")), "{v}");
            }
        }
    }

    fn documents(doc: &Value) {
        let _ = limits::compute(doc);
        let _ = limits::volume(doc);
        let _ = limits::network(doc);
        let _ = compute::diagnostics(doc);
        let _ = compute::version_range(doc, "v2");
        if let Ok(token) = auth::parse_token(Secret::new("t"), doc) {
            let _ = token.endpoint(&["compute", "image"], "public", Some("RegionOne"));
            let _ = token.regions();
            let _ = token.needs_renewal(auth::now(), 300);
        }
        if let Some(s) = doc.get("expires_at").and_then(Value::as_str) {
            let _ = auth::parse_timestamp(s);
        }
    }

    /// A JSON document: read as every kind of document, and each of its lists (or itself,
    /// when it is one) decoded as rows of every kind.
    pub fn run(data: &[u8]) {
        let Ok(doc) = serde_json::from_slice::<Value>(data) else {
            return;
        };
        documents(&doc);
        match &doc {
            Value::Array(a) => decode(a),
            Value::Object(m) => {
                for v in m.values() {
                    match v {
                        Value::Array(a) => decode(a),
                        Value::Object(_) => documents(v),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    pub fn seeds() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for path in super::files("tests/fixtures/openstack", ".json") {
            let text = std::fs::read(&path).expect("fixture");
            if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&text) {
                for v in m.values() {
                    if let Value::Array(rows) = v {
                        for row in rows {
                            out.push(
                                serde_json::to_vec(&Value::Array(vec![row.clone()])).expect("json"),
                            );
                        }
                    }
                }
            }
            out.push(text);
        }
        out
    }
}

pub mod next_link {
    //! `next` links, through the public surface that follows them: `Session::list_all`
    //! against a server on 127.0.0.1 that serves the input's pages in order. A second server
    //! stands for every other origin: it must never be asked anything.

    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, OnceLock};
    use std::time::Duration;

    use yun::backend::openstack::http::{HttpOptions, Paging, Session};
    use yun::backend::openstack::{AuthMethod, CloudConfig, Scope, Secret};

    struct World {
        rt: tokio::runtime::Runtime,
        session: Session,
        home: String,
        other: String,
    }

    /// The pages of the current input, and the paths asked for.
    static PAGES: Mutex<(Vec<Vec<u8>>, Vec<String>)> = Mutex::new((Vec::new(), Vec::new()));
    static STRAY: AtomicUsize = AtomicUsize::new(0);

    /// The whole reply in one write: split writes meet Nagle and delayed ACKs, 40 ms each.
    fn respond(
        stream: &mut TcpStream,
        status: &str,
        extra: &str,
        body: &[u8],
    ) -> std::io::Result<()> {
        let mut reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n",
            body.len()
        )
        .into_bytes();
        reply.extend_from_slice(body);
        stream.write_all(&reply)
    }

    fn serve(stream: TcpStream) -> std::io::Result<()> {
        stream.set_nodelay(true)?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut stream = stream;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let target = parts.next().unwrap_or("").to_string();
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h)? == 0 {
                    return Ok(());
                }
                if h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body)?;
            if method == "POST" {
                respond(
                    &mut stream,
                    "201 Created",
                    "X-Subject-Token: tok\r\n",
                    br#"{"token": {"expires_at": "2999-01-01T00:00:00Z"}}"#,
                )?;
                continue;
            }
            let page = {
                let mut pages = PAGES.lock().unwrap_or_else(|e| e.into_inner());
                let n = pages.1.len();
                pages.1.push(target);
                pages.0.get(n).cloned().unwrap_or_else(|| b"{}".to_vec())
            };
            respond(&mut stream, "200 OK", "", &page)?;
        }
    }

    fn listen(stray: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if stray {
                    STRAY.fetch_add(1, Ordering::SeqCst);
                    drop(stream);
                } else {
                    std::thread::spawn(move || serve(stream));
                }
            }
        });
        format!("http://{addr}")
    }

    fn world() -> &'static World {
        static WORLD: OnceLock<World> = OnceLock::new();
        WORLD.get_or_init(|| {
            let home = listen(false);
            let other = listen(true);
            let config = CloudConfig {
                name: None,
                auth_url: format!("{home}/v3"),
                auth: AuthMethod::Token {
                    token: Secret::new("t"),
                    scope: Scope::None,
                },
                region: None,
                interface: "public".into(),
                cacert: None,
                verify: true,
            };
            let opts = HttpOptions {
                request_timeout: Duration::from_secs(5),
                ..HttpOptions::default()
            };
            World {
                rt: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime"),
                session: Session::new(config, opts).expect("session"),
                home,
                other,
            }
        })
    }

    /// First byte: the paging style; then the pages, separated by [`super::SEP`]. In a page,
    /// `{home}` and `{other}` stand for the two servers' base URLs.
    pub fn run(data: &[u8]) {
        let Some((&style, rest)) = data.split_first() else {
            return;
        };
        let w = world();
        let glance = style & 1 == 1;
        let (paging, key, path) = if glance {
            (Paging::GlanceNext, "images", "/image/v2/images")
        } else {
            (Paging::Links, "servers", "/compute/v2.1/servers/detail")
        };
        let pages: Vec<Vec<u8>> = rest
            .split(|b| *b == super::SEP)
            .take(16)
            .map(|p| {
                String::from_utf8_lossy(p)
                    .replace("{home}", &w.home)
                    .replace("{other}", &w.other)
                    .into_bytes()
            })
            .collect();
        let n = pages.len();
        *PAGES.lock().unwrap_or_else(|e| e.into_inner()) = (pages, Vec::new());
        let first = format!("{}{path}", w.home);
        let _ =
            w.rt.block_on(w.session.list_all("compute", &first, key, &[], paging));
        let asked = std::mem::take(&mut PAGES.lock().unwrap_or_else(|e| e.into_inner()).1);
        assert_eq!(
            STRAY.load(Ordering::SeqCst),
            0,
            "a request left the endpoint"
        );
        assert!(
            asked.len() <= n + 1,
            "{} requests for {n} pages: {asked:?}",
            asked.len()
        );
        if !glance {
            for target in &asked {
                assert!(
                    target.starts_with(&format!("{path}?")) || target == path,
                    "{target}"
                );
            }
        }
    }

    pub fn seeds() -> Vec<Vec<u8>> {
        let servers: serde_json::Value = serde_json::from_str(&super::read(
            "tests/fixtures/openstack/nova/servers/v2.47/servers-details-resp.json",
        ))
        .expect("fixture");
        let images: serde_json::Value = serde_json::from_str(&super::read(
            "tests/fixtures/openstack/glance/images-list-response.json",
        ))
        .expect("fixture");
        let mut out = Vec::new();
        for href in [
            "{home}/compute/v2.1/servers/detail?limit=1&marker=m1",
            "{other}/compute/v2.1/servers/detail?limit=1&marker=m1",
            "http://proxy.invalid/elsewhere/servers/detail?marker=m1",
            "/compute/v2.1/servers/detail?marker=m1",
            "?marker=m1",
            "//elsewhere/x?marker=m1",
        ] {
            let mut a = servers.clone();
            a["servers_links"] = serde_json::json!([{"rel": "next", "href": href}]);
            let mut b = servers.clone();
            b["servers_links"] =
                serde_json::json!([{"rel": "next", "href": href.replace("m1", "m2")}]);
            let (a, b) = (
                serde_json::to_vec(&a).expect("json"),
                serde_json::to_vec(&b).expect("json"),
            );
            out.push(super::join(&[b"\x00", &a, &b, &a]));
        }
        for next in [
            "/v2/images?marker=m1",
            "{other}/v2/images?marker=m1",
            "{home}/image/v2/images?marker=m1",
            "v2/images",
        ] {
            let mut a = images.clone();
            a["next"] = serde_json::json!(next);
            let a = serde_json::to_vec(&a).expect("json");
            out.push(super::join(&[b"\x01", &a, &a]));
        }
        out
    }
}

pub mod clouds_yaml {
    use std::collections::HashMap;

    use yun::backend::openstack::{Discovery, clouds, needs_password};

    /// `clouds.yaml`, then `secure.yaml`, the cloud's name and `KEY=VALUE` lines of
    /// environment, separated by [`super::SEP`].
    pub fn run(data: &[u8]) {
        let mut parts = data.split(|b| *b == super::SEP);
        let dir = super::scratch();
        let clouds_file = dir.join("clouds.yaml");
        let secure_file = dir.join("secure.yaml");
        std::fs::write(&clouds_file, parts.next().unwrap_or_default()).expect("write");
        match parts.next() {
            Some(secure) => std::fs::write(&secure_file, secure).expect("write"),
            None => {
                let _ = std::fs::remove_file(&secure_file);
            }
        }
        let name = parts
            .next()
            .map(|n| String::from_utf8_lossy(n).into_owned());
        let env: HashMap<String, String> = parts
            .next()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut secrets = secrets(&data.split(|b| *b == super::SEP).take(2).collect::<Vec<_>>());
        // The cloud's name (argument or `OS_CLOUD`) is the user's own words, which an error
        // may quote.
        let quoted = |s: &str| {
            name.as_deref().is_some_and(|n| n.contains(s)) || env.values().any(|v| v.contains(s))
        };
        secrets.retain(|s| !quoted(s));
        for key in [
            "OS_PASSWORD",
            "OS_TOKEN",
            "OS_APPLICATION_CREDENTIAL_SECRET",
        ] {
            if let Some(v) = env.get(key).map(|v| v.trim())
                && v.len() >= 8
                && !name.as_deref().is_some_and(|n| n.contains(v))
                && !env
                    .iter()
                    .any(|(k, other)| k != key && (k.contains(v) || other.contains(v)))
            {
                secrets.push(v.to_string());
            }
        }
        let discovery = Discovery {
            env,
            dirs: vec![dir.to_path_buf()],
        };
        let _ = discovery.clouds_file();
        for result in [
            clouds::load(Some(name.as_deref().unwrap_or("mock")), &discovery),
            clouds::load(None, &discovery),
        ] {
            let shown = match result {
                Ok(config) => {
                    let _ = needs_password(&config);
                    format!("{config:?}")
                }
                Err(message) => message,
            };
            for secret in &secrets {
                assert!(
                    !shown.contains(secret.as_str()),
                    "{secret:?} shown in {shown}"
                );
            }
        }
    }

    /// Passwords, application credential secrets and tokens of the files: values of at least
    /// eight characters that nothing else in the files repeats (a user name equal to the
    /// password may be shown as the user name).
    fn secrets(files: &[&[u8]]) -> Vec<String> {
        fn walk(
            v: &serde_json::Value,
            secret: bool,
            secrets: &mut Vec<String>,
            others: &mut Vec<String>,
        ) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        others.push(k.clone());
                        let s = matches!(
                            k.as_str(),
                            "password" | "application_credential_secret" | "token"
                        );
                        walk(v, s, secrets, others);
                    }
                }
                serde_json::Value::Array(a) => {
                    a.iter().for_each(|v| walk(v, false, secrets, others))
                }
                serde_json::Value::String(s) if secret => secrets.push(s.trim().to_string()),
                serde_json::Value::Number(n) if secret => secrets.push(n.to_string()),
                other => others.push(other.to_string().trim_matches('"').to_string()),
            }
        }
        let (mut secrets, mut others) = (Vec::new(), Vec::new());
        for file in files {
            if let Ok(text) = std::str::from_utf8(file)
                && let Ok(doc) = serde_norway::from_str::<serde_json::Value>(text)
            {
                walk(&doc, false, &mut secrets, &mut others);
            }
        }
        // Error messages name the file: a "secret" that is part of its path is not one.
        let path = super::scratch().join("secure.yaml").display().to_string();
        secrets.retain(|s| {
            s.len() >= 8
                && !path.contains(s.as_str())
                && !others.iter().any(|o| o.contains(s.as_str()))
        });
        secrets
    }

    pub fn seeds() -> Vec<Vec<u8>> {
        let clouds = "clouds:\n  mock:\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      username: admin\n      project_name: admin\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: public\n    verify: true\n  app:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: https://keystone.example/v3\n      application_credential_id: abc\n    regions:\n      - name: R2\n  tok:\n    auth_type: token\n    auth:\n      auth_url: https://k/v3\n      token: t0k\n      domain_name: D\n    cacert: /nonexistent/ca.pem\n    insecure: true\n";
        let secure = "clouds:\n  mock:\n    auth:\n      password: s3cret-pw\n  app:\n    auth:\n      application_credential_secret: s3cret-app\n";
        let anchors = "base: &b {auth: {auth_url: 'http://a/v3', username: u, password: p}}\nclouds:\n  mock: *b\n  other: {<<: *b, region_name: R}\n";
        let env = "OS_AUTH_URL=http://k:5000/v3\nOS_USERNAME=u\nOS_PROJECT_NAME=p\nOS_USER_DOMAIN_NAME=Default\nOS_INTERFACE=internal\nOS_INSECURE=true";
        vec![
            super::join(&[clouds.as_bytes()]),
            super::join(&[clouds.as_bytes(), secure.as_bytes()]),
            super::join(&[clouds.as_bytes(), secure.as_bytes(), b"app"]),
            super::join(&[clouds.as_bytes(), b"", b"tok"]),
            super::join(&[anchors.as_bytes(), b"", b"other"]),
            super::join(&[b"", b"", b"", env.as_bytes()]),
            super::join(&[
                clouds.as_bytes(),
                secure.as_bytes(),
                b"mock",
                b"OS_CLOUD=app",
            ]),
        ]
    }
}

pub mod config {
    use std::path::Path;

    use yun::config::{Config, DEFAULT_CONFIG};

    pub fn run(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let Ok(config) = Config::parse(text, Path::new("config.toml")) else {
            return;
        };
        let _ = config.monitor_window();
        let _ = config.settle_timeout();
        let _ = config.flavors();
        let _ = config.refresh();
        let _ = config.monitor_interval();
    }

    pub fn seeds() -> Vec<Vec<u8>> {
        let mut out = vec![
            DEFAULT_CONFIG.as_bytes().to_vec(),
            super::read("config.default.toml").into_bytes(),
        ];
        for line in [
            "refresh_secs = 0.1",
            "refresh_secs = 1e300",
            "monitor_interval_secs = -1.0",
            "monitor_window_secs = 18446744073709551615",
            "settle_timeout_secs = 0",
            "theme = \"light\"\nlang = \"zh\"",
            "image_pools = [\"a\", \"b\"]",
            "[[flavors]]\nid = \"9\"\nname = \"big\"\nvcpus = 4294967295\nram_mib = 9223372036854775807\nroot_disk_gib = 1\nephemeral_gib = 2\nswap_mib = 3",
        ] {
            out.push(line.as_bytes().to_vec());
        }
        out
    }
}

pub mod theme {
    use yun::theme::{Theme, parse_color};

    const NAMES: [&str; 3] = ["mine", "default", "other"];

    /// Up to three user theme files (`mine`, `default`, `other`), separated by
    /// [`super::SEP`]; `mine` is loaded, so `extends` can go through all three and the
    /// built-ins.
    pub fn run(data: &[u8]) {
        let dir = super::scratch();
        let mut parts = data.split(|b| *b == super::SEP);
        for name in NAMES {
            let file = dir.join(format!("{name}.toml"));
            match parts.next() {
                Some(p) => {
                    std::fs::write(&file, p).expect("write");
                    for line in String::from_utf8_lossy(p).lines() {
                        let colour = parse_color(line);
                        if let Some(hex) = line.trim().strip_prefix('#') {
                            let valid =
                                hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit());
                            assert_eq!(colour.is_some(), valid, "{line:?}");
                        }
                    }
                }
                None => {
                    let _ = std::fs::remove_file(&file);
                }
            }
        }
        for name in NAMES {
            if let Ok(theme) = Theme::load(name, Some(dir)) {
                assert_eq!(theme.name, name);
            }
        }
        let _ = yun::theme::available(Some(dir));
    }

    pub fn seeds() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (_, text) in yun::theme::BUILTIN {
            out.push(text.as_bytes().to_vec());
            out.push(super::join(&[
                b"extends = \"default\"\n[colors]\nfg = \"#ff0000\"\n",
                text.as_bytes(),
            ]));
        }
        out.push(super::join(&[
            b"extends = \"other\"\n",
            b"extends = \"light\"\n[colors]\nbg = \"dark-grey\"\n",
            b"extends = \"mine\"\n",
        ]));
        out.push(
            b"name = \"x\"\n[colors]\nstate_error = \"200\"\naccent = \"Light_Blue\"\n".to_vec(),
        );
        out
    }
}

pub mod domain_xml {
    use yun::backend::libvirt::xml;

    pub fn run(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok(d) = xml::parse_domain(text) {
            for disk in &d.disks {
                let _ = disk.is_cdrom_or_floppy();
            }
        }
        if let Ok(net) = xml::parse_network(text) {
            // Every CIDR shown is one: a prefix within the family's length, on the network
            // address.
            for cidr in &net.cidrs {
                let (ip, bits) = cidr.split_once('/').expect("address/prefix");
                let ip: std::net::IpAddr = ip.parse().expect("an address");
                let bits: u8 = bits.parse().expect("a prefix");
                assert!(bits <= if ip.is_ipv4() { 32 } else { 128 }, "{cidr}");
                assert_eq!(
                    xml::network_cidr(&ip.to_string(), bits).as_deref(),
                    Some(cidr.as_str())
                );
            }
        }
        let _ = xml::parse_volume(text);
    }

    /// Every `<domain>`, `<network>` and `<volume>` of the test and demo hosts on its own, and
    /// the hosts whole.
    pub fn seeds() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for rel in ["tests/fixtures/host.xml", "demo/demo-host.xml"] {
            let text = super::read(rel);
            let doc = roxmltree::Document::parse(&text).expect("fixture XML");
            for node in doc.descendants().filter(|n| n.is_element()) {
                if ["domain", "network", "volume"].contains(&node.tag_name().name()) {
                    out.push(text[node.range()].as_bytes().to_vec());
                }
            }
            out.push(text.into_bytes());
        }
        out
    }
}

pub mod stats {
    use yun::backend::libvirt::ffi::{Key, StatRef};
    use yun::backend::libvirt::stats::counters_from_params;

    /// One typed parameter as the input holds it: a type byte, the key's length and bytes
    /// (a NUL is added), then the value (8 bytes little-endian, a byte for a bool, or a length
    /// and bytes for a string).
    enum Value {
        Int(i64),
        UInt(u64),
        Double(f64),
        Bool(bool),
        Text(Vec<u8>),
    }

    fn decode(mut data: &[u8]) -> Vec<(Vec<u8>, Value)> {
        fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, rest) = data.split_at_checked(n)?;
            *data = rest;
            Some(head)
        }
        let mut out = Vec::new();
        while let Some(kind) = take(&mut data, 1) {
            let Some(len) = take(&mut data, 1) else { break };
            let Some(key) = take(&mut data, usize::from(len[0])) else {
                break;
            };
            let mut key = key.to_vec();
            key.push(0);
            let word = |data: &mut &[u8]| {
                take(data, 8).map(|b| <[u8; 8]>::try_from(b).unwrap_or_default())
            };
            let value = match kind[0] % 5 {
                0 => word(&mut data).map(|w| Value::Int(i64::from_le_bytes(w))),
                1 => word(&mut data).map(|w| Value::UInt(u64::from_le_bytes(w))),
                2 => word(&mut data).map(|w| Value::Double(f64::from_le_bytes(w))),
                3 => take(&mut data, 1).map(|b| Value::Bool(b[0] != 0)),
                _ => take(&mut data, 1)
                    .and_then(|n| take(&mut data, usize::from(n[0])))
                    .map(|t| Value::Text(t.to_vec())),
            };
            let Some(value) = value else { break };
            out.push((key, value));
        }
        out
    }

    fn encode(record: &[(&str, Value)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (key, value) in record {
            let kind = match value {
                Value::Int(_) => 0,
                Value::UInt(_) => 1,
                Value::Double(_) => 2,
                Value::Bool(_) => 3,
                Value::Text(_) => 4,
            };
            out.push(kind);
            out.push(u8::try_from(key.len()).expect("short key"));
            out.extend_from_slice(key.as_bytes());
            match value {
                Value::Int(i) => out.extend_from_slice(&i.to_le_bytes()),
                Value::UInt(u) => out.extend_from_slice(&u.to_le_bytes()),
                Value::Double(d) => out.extend_from_slice(&d.to_le_bytes()),
                Value::Bool(b) => out.push(u8::from(*b)),
                Value::Text(t) => {
                    out.push(u8::try_from(t.len()).expect("short text"));
                    out.extend_from_slice(t);
                }
            }
        }
        out
    }

    pub fn run(data: &[u8]) {
        let record = decode(data);
        let params = record.iter().filter_map(|(k, v)| {
            let value = match v {
                Value::Int(i) => StatRef::Int(*i),
                Value::UInt(u) => StatRef::UInt(*u),
                Value::Double(d) => StatRef::Double(*d),
                Value::Bool(b) => StatRef::Bool(*b),
                Value::Text(t) => StatRef::Text(t),
            };
            Some((Key::new(k)?, value))
        });
        let c = counters_from_params("dom", params);
        assert!(
            c.disks.len() <= 10_000 && c.nics.len() <= 10_000 && c.vcpu_time_ns.len() <= 10_000
        );
        assert!(!c.vcpu_time_ns.contains(&u64::MAX));
        assert!(c.disks.iter().all(|d| !d.name.is_empty()));
        assert!(c.nics.iter().all(|n| !n.name.is_empty()));
    }

    /// A QEMU domain's record as the monitor reads it (the keys libvirt sends for the
    /// groups it asks), a test-driver one (state only), and a few with hostile values.
    pub fn seeds() -> Vec<Vec<u8>> {
        let mut qemu: Vec<(String, Value)> = vec![
            ("state.state".into(), Value::Int(1)),
            ("state.reason".into(), Value::Int(1)),
            ("cpu.time".into(), Value::UInt(400_000_000)),
            ("cpu.user".into(), Value::UInt(300_000_000)),
            ("balloon.current".into(), Value::UInt(1_048_576)),
            ("balloon.maximum".into(), Value::UInt(1_048_576)),
            ("balloon.rss".into(), Value::UInt(700_000)),
            ("balloon.available".into(), Value::UInt(1_000_000)),
            ("balloon.unused".into(), Value::UInt(500_000)),
            ("balloon.disk_caches".into(), Value::UInt(100_000)),
            ("vcpu.current".into(), Value::UInt(2)),
            ("vcpu.maximum".into(), Value::UInt(2)),
            ("net.count".into(), Value::UInt(2)),
            ("block.count".into(), Value::UInt(2)),
        ];
        for c in 0..2 {
            qemu.push((format!("vcpu.{c}.state"), Value::Int(1)));
            qemu.push((format!("vcpu.{c}.time"), Value::UInt(200_000_000)));
            qemu.push((
                format!("net.{c}.name"),
                Value::Text(format!("vnet{c}").into_bytes()),
            ));
            for k in [
                "rx.bytes", "rx.pkts", "rx.errs", "rx.drop", "tx.bytes", "tx.pkts", "tx.errs",
                "tx.drop",
            ] {
                qemu.push((format!("net.{c}.{k}"), Value::UInt(1000)));
            }
            qemu.push((
                format!("block.{c}.name"),
                Value::Text(format!("vd{c}").into_bytes()),
            ));
            qemu.push((
                format!("block.{c}.path"),
                Value::Text(b"/var/lib/libvirt/images/x.qcow2".to_vec()),
            ));
            for k in [
                "rd.reqs",
                "rd.bytes",
                "wr.reqs",
                "wr.bytes",
                "allocation",
                "capacity",
            ] {
                qemu.push((format!("block.{c}.{k}"), Value::UInt(4096)));
            }
        }
        let borrowed = |r: &[(String, Value)]| -> Vec<u8> {
            let pairs: Vec<(&str, Value)> = r
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Int(i) => Value::Int(*i),
                        Value::UInt(u) => Value::UInt(*u),
                        Value::Double(d) => Value::Double(*d),
                        Value::Bool(b) => Value::Bool(*b),
                        Value::Text(t) => Value::Text(t.clone()),
                    };
                    (k.as_str(), v)
                })
                .collect();
            encode(&pairs)
        };
        vec![
            borrowed(&qemu),
            encode(&[
                ("state.state", Value::Int(5)),
                ("state.reason", Value::Int(0)),
            ]),
            encode(&[
                ("block.9999.rd.bytes", Value::UInt(u64::MAX)),
                ("vcpu.3.time", Value::Double(f64::NAN)),
                ("vcpu.0.time", Value::Int(-1)),
                ("net.count", Value::UInt(u64::MAX)),
                ("balloon.current", Value::Double(1e300)),
                ("net.0.name", Value::Bool(true)),
            ]),
        ]
    }
}
