//! Properties of every parser that reads what a cloud, a daemon or the user's files send: no
//! input makes one panic, and what a well-formed field says survives decoding. A short pass
//! (a few hundred cases a property) in the default run; `scripts/fuzz.sh` runs the long one.
//! Hostile inputs are built from the real fixtures by mutating them, so most cases get past
//! the outer syntax and reach the decoders.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Value, json};
use yun::backend::libvirt::ffi::{Key, StatRef};
use yun::backend::libvirt::stats::counters_from_params;
use yun::backend::libvirt::xml;
use yun::backend::openstack::{auth, compute, image, limits, network, volume};
use yun::config::Config;
use yun::fuzzing::openstack_rows;
use yun::theme::Theme;

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn fixture_json(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo(&format!("tests/fixtures/openstack/{rel}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The listing fixtures: (collection key, rows), read once.
fn fixture_rows() -> Vec<(&'static str, Vec<Value>)> {
    static ROWS: OnceLock<Vec<(&'static str, Vec<Value>)>> = OnceLock::new();
    ROWS.get_or_init(read_fixture_rows).clone()
}

fn read_fixture_rows() -> Vec<(&'static str, Vec<Value>)> {
    [
        ("servers", "nova/servers/servers-details-resp.json"),
        ("servers", "nova/servers/v2.47/servers-details-resp.json"),
        ("flavors", "nova/flavors/flavors-detail-resp.json"),
        ("flavors", "nova/flavors/v2.75/flavors-detail-resp.json"),
        ("images", "glance/images-list-response.json"),
        (
            "volumes",
            "cinder/volumes/volumes-list-detailed-response.json",
        ),
        ("networks", "neutron/networks/networks-list-response.json"),
        ("subnets", "neutron/subnets/subnets-list-response.json"),
        ("ports", "neutron/ports/ports-list-response.json"),
        (
            "floatingips",
            "neutron/floatingips/floating-ips-list-response.json",
        ),
        (
            "security_groups",
            "neutron/security-groups/security-groups-list-response.json",
        ),
    ]
    .into_iter()
    .map(|(key, rel)| {
        let rows = fixture_json(rel)[key].as_array().unwrap().clone();
        assert!(!rows.is_empty(), "{rel}");
        (key, rows)
    })
    .collect()
}

/// Every documented field name, so generated objects hit the decoders' fields.
const FIELDS: &[&str] = &[
    "id",
    "name",
    "status",
    "size",
    "ram",
    "vcpus",
    "disk",
    "swap",
    "bootable",
    "attachments",
    "server_id",
    "device",
    "addresses",
    "addr",
    "OS-EXT-IPS:type",
    "flavor",
    "image",
    "fault",
    "message",
    "code",
    "locked",
    "metadata",
    "extra_specs",
    "original_name",
    "OS-EXT-STS:power_state",
    "OS-EXT-STS:task_state",
    "subnets",
    "network_id",
    "cidr",
    "allocation_pools",
    "start",
    "end",
    "security_group_rules",
    "port_range_min",
    "port_range_max",
    "fixed_ips",
    "ip_address",
    "port_id",
    "floating_ip_address",
    "device_id",
    "min_disk",
    "min_ram",
    "virtual_size",
    "limits",
    "absolute",
    "rate",
    "quota",
    "used",
    "limit",
    "in_use",
    "token",
    "catalog",
    "endpoints",
    "url",
    "interface",
    "expires_at",
    "version",
    "versions",
    "min_version",
    "cpu_details",
    "disk_details",
    "nic_details",
    "memory_details",
    "time",
];

/// Scalars chosen to break lenient decoders: wrong types, edges of every integer type, floats
/// past u64, number-looking strings.
fn hostile_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![
            Just(u64::MAX as f64),
            Just(1e20),
            Just(-1e20),
            Just(1e308),
            Just(-0.0),
            Just(0.5),
            Just(f64::MIN_POSITIVE),
            any::<f64>(),
        ]
        .prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        prop_oneof![
            Just(String::new()),
            Just("  ".to_string()),
            Just("-1".to_string()),
            Just("1e400".to_string()),
            Just("NaN".to_string()),
            Just("inf".to_string()),
            Just("18446744073709551616".to_string()),
            Just("True".to_string()),
            Just("2026-12-01T20:00:00Z".to_string()),
            Just("9999-99-99T99:99:99+99:99".to_string()),
            Just("\u{1b}]0;x\u{7}".to_string()),
            Just("2.79".to_string()),
            any::<String>(),
            "[0-9]{1,30}(\\.[0-9]{0,5})?".prop_map(|s| s),
        ]
        .prop_map(Value::String),
    ]
}

/// Nested junk: arrays and objects of hostile scalars keyed by real field names.
fn hostile_json() -> impl Strategy<Value = Value> {
    hostile_scalar().prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            3 => proptest::sample::select(FIELDS).prop_map(str::to_string),
            1 => any::<String>(),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// One edit of a JSON document: a value somewhere replaced, a key removed, or a key added.
#[derive(Clone, Debug)]
enum Edit {
    Replace(prop::sample::Index, Value),
    Remove(prop::sample::Index),
    Insert(prop::sample::Index, String, Value),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        3 => (any::<prop::sample::Index>(), hostile_json()).prop_map(|(i, v)| Edit::Replace(i, v)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
        1 => (
            any::<prop::sample::Index>(),
            proptest::sample::select(FIELDS).prop_map(str::to_string),
            hostile_json()
        )
            .prop_map(|(i, k, v)| Edit::Insert(i, k, v)),
    ];
    proptest::collection::vec(edit, 1..5)
}

/// JSON pointers of every value inside `v` (its root too).
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(x, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Apply `edits`, never touching the values at the `keep` pointers or above them.
fn mutate(doc: &mut Value, edits: &[Edit], keep: &[&str]) {
    for edit in edits {
        let mut all = Vec::new();
        pointers(doc, String::new(), &mut all);
        all.retain(|p| {
            !keep
                .iter()
                .any(|k| k.starts_with(p.as_str()) || p.starts_with(k))
        });
        if all.is_empty() {
            return;
        }
        match edit {
            Edit::Replace(i, v) => {
                if let Some(slot) = doc.pointer_mut(i.get::<String>(&all)) {
                    *slot = v.clone();
                }
            }
            Edit::Remove(i) => {
                let p = i.get(&all).clone();
                if let Some((parent, last)) = p.rsplit_once('/')
                    && let Some(Value::Object(m)) = doc.pointer_mut(parent)
                {
                    m.remove(&last.replace("~1", "/").replace("~0", "~"));
                }
            }
            Edit::Insert(i, k, v) => {
                if let Some(Value::Object(m)) = doc.pointer_mut(i.get::<String>(&all))
                    && !keep.iter().any(|kept| kept.ends_with(&format!("/{k}")))
                {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// Decode `rows` as the listing `key` holds and map every row into the model, the way the
/// backend does; returns (decoded rows, skipped rows, model ids).
fn decode_listing(key: &str, rows: Vec<Value>) -> (usize, usize, Vec<String>) {
    let mut skipped = 0;
    let names: HashMap<String, String> = HashMap::from([("s1".into(), "web-1".into())]);
    let (decoded, ids) = match key {
        "servers" => {
            let rows = openstack_rows::<compute::ServerDto>(key, rows, &mut skipped);
            let lookups = compute::Lookups::default();
            let ids = rows
                .iter()
                .filter_map(|s| s.to_instance(&lookups))
                .map(|i| i.id)
                .collect();
            (rows.len(), ids)
        }
        "flavors" => {
            let rows = openstack_rows::<compute::FlavorDto>(key, rows, &mut skipped);
            let ids = rows.iter().filter_map(|f| f.to_model()).map(|f| f.id);
            (rows.len(), ids.collect())
        }
        "images" => {
            let rows = openstack_rows::<image::ImageDto>(key, rows, &mut skipped);
            let ids = rows.iter().filter_map(|i| i.to_model()).map(|i| i.id);
            (rows.len(), ids.collect())
        }
        "volumes" => {
            let rows = openstack_rows::<volume::VolumeDto>(key, rows, &mut skipped);
            let ids = rows.iter().filter_map(|v| v.to_model(&names)).map(|v| v.id);
            (rows.len(), ids.collect())
        }
        "networks" => {
            let rows = openstack_rows::<network::NetworkDto>(key, rows, &mut skipped);
            let subnets = openstack_rows::<network::SubnetDto>(
                "subnet",
                fixture_rows()
                    .into_iter()
                    .find(|(k, _)| *k == "subnets")
                    .unwrap()
                    .1,
                &mut 0,
            );
            let ids = rows
                .iter()
                .filter_map(|n| n.to_model(&subnets))
                .map(|n| n.id);
            (rows.len(), ids.collect())
        }
        "subnets" => {
            let rows = openstack_rows::<network::SubnetDto>(key, rows, &mut skipped);
            let ids = rows.iter().filter_map(|s| s.id.clone());
            (rows.len(), ids.collect())
        }
        "ports" => {
            let rows = openstack_rows::<network::PortDto>(key, rows, &mut skipped);
            let ids = rows
                .iter()
                .filter_map(|p| p.to_model(&names, &names))
                .map(|p| p.id);
            (rows.len(), ids.collect())
        }
        "floatingips" => {
            let rows = openstack_rows::<network::FloatingIpDto>(key, rows, &mut skipped);
            let ids = rows
                .iter()
                .filter_map(|f| f.to_model(&names, &names, &names))
                .map(|f| f.id);
            (rows.len(), ids.collect())
        }
        "security_groups" => {
            let rows = openstack_rows::<network::SecurityGroupDto>(key, rows, &mut skipped);
            let ids = rows.iter().filter_map(|g| g.to_model()).map(|g| g.id);
            (rows.len(), ids.collect())
        }
        other => panic!("no decoder for {other}"),
    };
    (decoded, skipped, ids)
}

const LISTINGS: &[&str] = &[
    "servers",
    "flavors",
    "images",
    "volumes",
    "networks",
    "subnets",
    "ports",
    "floatingips",
    "security_groups",
];

proptest! {
    #![proptest_config(cases(256))]

    /// Junk rows of every shape: none panics, each is either decoded or counted as skipped,
    /// and only objects make rows.
    #[test]
    fn openstack_rows_of_junk_are_decoded_or_counted(
        rows in proptest::collection::vec(hostile_json(), 0..8),
        key in proptest::sample::select(LISTINGS),
    ) {
        let n = rows.len();
        let objects = rows.iter().filter(|r| r.is_object()).count();
        let (decoded, skipped, _) = decode_listing(key, rows);
        prop_assert_eq!(decoded + skipped, n);
        prop_assert!(decoded <= objects);
    }

    /// A real row with any of its other fields broken keeps its id, both decoded and in the
    /// model, or is skipped as a whole: never a row under another id.
    #[test]
    fn mutated_fixture_rows_keep_their_id(
        which in any::<prop::sample::Index>(),
        edits in edits(),
    ) {
        let listings = fixture_rows();
        let (key, rows) = which.get(&listings);
        let mut rows = Value::Array(rows.clone());
        let keep: Vec<String> = (0..rows.as_array().unwrap().len()).map(|i| format!("/{i}/id")).collect();
        let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
        mutate(&mut rows, &edits, &keep);
        let rows = rows.as_array().unwrap().clone();
        let wanted: Vec<String> = rows.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
        let n = rows.len();
        let (decoded, skipped, ids) = decode_listing(key, rows);
        prop_assert_eq!(decoded + skipped, n);
        for id in &ids {
            prop_assert!(wanted.contains(id), "{} not among {:?}", id, wanted);
        }
    }

    /// Whatever the cloud puts in `id`: a non-blank string or a number is the row's id, a
    /// blank or null one leaves the row out of the model, anything else skips the row.
    #[test]
    fn the_model_id_is_the_json_id(id in hostile_json(), key in proptest::sample::select(LISTINGS)) {
        let (_, rows) = fixture_rows().into_iter().find(|(k, _)| k == &key).unwrap();
        let mut row = rows[0].clone();
        row["id"] = id.clone();
        let (decoded, skipped, ids) = decode_listing(key, vec![row]);
        match &id {
            Value::String(s) if !s.trim().is_empty() => prop_assert_eq!(ids, vec![s.clone()]),
            Value::Number(n) => prop_assert_eq!(ids, vec![n.to_string()]),
            Value::Bool(b) => prop_assert_eq!(ids, vec![b.to_string()]),
            Value::Null | Value::String(_) => prop_assert!(ids.is_empty()),
            Value::Array(_) | Value::Object(_) => prop_assert_eq!((decoded, skipped), (0, 1)),
        }
    }

    /// A flavor's sizes, as numbers or as numeric strings, keep their value.
    #[test]
    fn flavor_numbers_keep_their_value(
        ram in any::<u64>(),
        disk in any::<u64>(),
        vcpus in any::<u32>(),
        as_text in any::<bool>(),
    ) {
        let n = |v: u64| if as_text { json!(v.to_string()) } else { json!(v) };
        let row = json!({"id": "f", "ram": n(ram), "disk": n(disk), "vcpus": n(u64::from(vcpus))});
        let rows = openstack_rows::<compute::FlavorDto>("flavor", vec![row], &mut 0);
        let flavor = rows[0].to_model().unwrap();
        prop_assert_eq!(flavor.ram_bytes, ram.saturating_mul(1 << 20));
        prop_assert_eq!(flavor.root_disk_bytes, disk.saturating_mul(1 << 30));
        prop_assert_eq!(flavor.vcpus, vcpus);
    }

    /// Quota, diagnostics, version and token documents of any shape never panic.
    #[test]
    fn openstack_documents_never_panic(
        doc in hostile_json(),
        which in any::<prop::sample::Index>(),
        edits in edits(),
    ) {
        let _ = limits::compute(&doc);
        let _ = limits::volume(&doc);
        let _ = limits::network(&doc);
        let _ = compute::diagnostics(&doc);
        let _ = compute::version_range(&doc, "v2.1");
        let _ = auth::parse_token(yun::backend::openstack::Secret::new("t"), &doc);
        let docs = [
            "nova/limits/v2.57/limit-get-resp.json",
            "cinder/limits/limits-show-response.json",
            "neutron/quota_details/quota-details-show-for-project-response.json",
            "nova/os-server-diagnostics/v2.48/server-diagnostics-get-resp.json",
            "nova/versions/v21-version-get-resp.json",
            "cinder/versions/versions-response.json",
            "keystone/admin/auth-password-project-scoped-response.json",
        ];
        let mut doc = fixture_json(which.get::<&str>(&docs));
        mutate(&mut doc, &edits, &[]);
        let _ = limits::compute(&doc);
        let _ = limits::volume(&doc);
        let _ = limits::network(&doc);
        let _ = compute::diagnostics(&doc);
        let _ = compute::version_range(&doc, "v3");
        if let Ok(token) = auth::parse_token(yun::backend::openstack::Secret::new("t"), &doc) {
            let _ = token.endpoint(&["compute"], "public", None);
            let _ = token.needs_renewal(auth::now(), 300);
        }
    }

    /// Keystone's expiry stamps: any text parses or not, never panics; a well-formed stamp
    /// gives the same instant whatever its fraction digits.
    #[test]
    fn token_timestamps(text in any::<String>(), secs in 0i64..4_000_000_000, frac in "[0-9]{0,9}") {
        let _ = auth::parse_timestamp(&text);
        let days = secs.div_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        let s = secs.rem_euclid(86_400);
        let dot = if frac.is_empty() { String::new() } else { format!(".{frac}") };
        let stamp = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{dot}Z",
            s / 3600,
            s % 3600 / 60,
            s % 60
        );
        prop_assert_eq!(auth::parse_timestamp(&stamp), Some(secs), "{}", stamp);
    }
}

// ---- libvirt XML ----

/// The `<domain>`, `<network>` and `<volume>` elements of the test host and the demo host, as
/// standalone documents, read once.
fn xml_fixtures() -> &'static [(String, String)] {
    static DOCS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    DOCS.get_or_init(read_xml_fixtures)
}

fn read_xml_fixtures() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for rel in ["tests/fixtures/host.xml", "demo/demo-host.xml"] {
        let text = std::fs::read_to_string(repo(rel)).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        for node in doc.descendants().filter(|n| n.is_element()) {
            let tag = node.tag_name().name();
            if ["domain", "network", "volume"].contains(&tag) {
                out.push((tag.to_string(), text[node.range()].to_string()));
            }
        }
    }
    assert!(out.iter().filter(|(t, _)| t == "domain").count() >= 20);
    out
}

fn parse_any(tag: &str, xml_text: &str) {
    match tag {
        "domain" => {
            if let Ok(d) = xml::parse_domain(xml_text) {
                for disk in &d.disks {
                    let _ = disk.is_cdrom_or_floppy();
                }
            }
        }
        "network" => {
            let _ = xml::parse_network(xml_text);
        }
        _ => {
            let _ = xml::parse_volume(xml_text);
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .filter(|c| {
            matches!(c, '\t' | '\n' | '\r') || (*c >= ' ' && *c != '\u{fffe}' && *c != '\u{ffff}')
        })
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '\'' => "&apos;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Byte offsets of every attribute value (`='…'` or `="…"`) in a document.
fn attribute_values(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'=' && (b[i + 1] == b'\'' || b[i + 1] == b'"') {
            let q = b[i + 1];
            if let Some(len) = b[i + 2..].iter().position(|&c| c == q) {
                out.push((i + 2, i + 2 + len));
                i += 2 + len;
            }
        }
        i += 1;
    }
    out
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn xml_parsers_never_panic_on_any_text(text in any::<String>()) {
        for tag in ["domain", "network", "volume"] {
            parse_any(tag, &text);
        }
    }

    /// Any attribute of a real domain set to any (escaped) value: the document still parses
    /// and keeps its name and UUID, which live in element text.
    #[test]
    fn domain_attributes_of_any_value(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        value in prop_oneof![
            any::<String>(),
            Just("18446744073709551616".to_string()),
            Just("-1".to_string()),
            Just("TiB".to_string()),
            "[0-9]{1,25}".prop_map(|s| s),
        ],
    ) {
        let domains: Vec<_> = xml_fixtures().iter().filter(|(t, _)| t == "domain").collect();
        let (_, original) = which.get(&domains);
        let before = xml::parse_domain(original).unwrap();
        let spans = attribute_values(original);
        let (start, end) = *at.get(&spans);
        let edited = format!("{}{}{}", &original[..start], xml_escape(&value), &original[end..]);
        let after = xml::parse_domain(&edited);
        prop_assert!(after.is_ok(), "{:?}\n{}", after, edited);
        let after = after.unwrap();
        prop_assert_eq!(after.name, before.name);
        prop_assert_eq!(after.uuid, before.uuid);
    }

    /// Real documents cut anywhere, with a random element or attribute spliced in anywhere, or
    /// with a number replaced by a huge one: no panic.
    #[test]
    fn mutated_xml_fixtures_never_panic(
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        splice in prop_oneof![
            any::<String>(),
            "<[a-z]{1,8}( [a-z]{1,6}='[^'<&]{0,12}')*/?>".prop_map(|s| s),
            Just("<memory unit='TiB'>18446744073709551615</memory>".to_string()),
            Just("<vcpu current='99999999999'>4294967296</vcpu>".to_string()),
            Just("<graphics type='vnc' port='-99999999999999999999'/>".to_string()),
            Just("<backingStore><source file='/x'/><backingStore/></backingStore>".to_string()),
            Just("<ip address='10.0.0.1' prefix='255'/>".to_string()),
            Just("<ip address='::1' netmask='255.255.255.0'/>".to_string()),
            Just("<ip address='10.0.0.1' netmask='255.0.255.0'/>".to_string()),
            Just("<capacity unit='ZiB'>18446744073709551615</capacity>".to_string()),
        ],
        truncate in any::<bool>(),
    ) {
        let all = xml_fixtures();
        let (tag, original) = which.get(all);
        let mut at = cut.index(original.len() + 1);
        while !original.is_char_boundary(at) {
            at -= 1;
        }
        let edited = if truncate {
            original[..at].to_string()
        } else {
            format!("{}{}{}", &original[..at], splice, &original[at..])
        };
        parse_any(tag, &edited);
    }
}

// ---- libvirt statistics records ----

/// A statistics key: one of the monitor's, with any index, or any bytes.
fn stat_key() -> impl Strategy<Value = Vec<u8>> {
    let field = proptest::sample::select(
        &[
            "rd.bytes", "wr.bytes", "rd.reqs", "wr.reqs", "name", "rx.bytes", "tx.bytes",
            "rx.pkts", "tx.pkts", "rx.errs", "tx.errs", "rx.drop", "tx.drop", "time", "state",
            "path", "",
        ][..],
    );
    let group = proptest::sample::select(&["block.", "net.", "vcpu.", "balloon.", "cpu.", ""][..]);
    prop_oneof![
        3 => (group.clone(), prop_oneof![8 => 0u64..20, 1 => 9_990u64..10_010, 1 => any::<u64>()], field)
            .prop_map(|(g, i, f)| format!("{g}{i}.{f}").into_bytes()),
        1 => (group, proptest::sample::select(&[
            "count", "current", "maximum", "rss", "available", "unused", "disk_caches", "time",
        ][..]))
            .prop_map(|(g, f)| format!("{g}{f}").into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..24),
    ]
    .prop_map(|mut k| {
        k.push(0);
        k
    })
}

#[derive(Clone, Debug)]
enum Stat {
    Int(i64),
    UInt(u64),
    Double(f64),
    Bool(bool),
    Text(Vec<u8>),
}

fn stat_value() -> impl Strategy<Value = Stat> {
    prop_oneof![
        any::<i64>().prop_map(Stat::Int),
        any::<u64>().prop_map(Stat::UInt),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-1.0),
            Just(1e30),
            any::<f64>()
        ]
        .prop_map(Stat::Double),
        any::<bool>().prop_map(Stat::Bool),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(Stat::Text),
    ]
}

fn stat_ref(v: &Stat) -> StatRef<'_> {
    match v {
        Stat::Int(i) => StatRef::Int(*i),
        Stat::UInt(u) => StatRef::UInt(*u),
        Stat::Double(d) => StatRef::Double(*d),
        Stat::Bool(b) => StatRef::Bool(*b),
        Stat::Text(t) => StatRef::Text(t),
    }
}

fn counters(record: &[(Vec<u8>, Stat)]) -> yun::model::InstanceCounters {
    counters_from_params(
        "dom",
        record
            .iter()
            .map(|(k, v)| (Key::new(k).unwrap(), stat_ref(v))),
    )
}

proptest! {
    #![proptest_config(cases(256))]

    /// Any record: no panic, device lists bounded by the four-digit index limit, no vCPU left
    /// without a time, every device named.
    #[test]
    fn stats_records_of_any_keys_and_values(
        record in proptest::collection::vec((stat_key(), stat_value()), 0..40),
    ) {
        let c = counters(&record);
        prop_assert!(c.disks.len() <= 10_000 && c.nics.len() <= 10_000);
        prop_assert!(c.vcpu_time_ns.len() <= 10_000);
        prop_assert!(!c.vcpu_time_ns.contains(&u64::MAX));
        prop_assert!(c.disks.iter().all(|d| !d.name.is_empty()));
        prop_assert!(c.nics.iter().all(|n| !n.name.is_empty()));
    }

    /// Counters put in a record come back out under their device, whatever else the record
    /// holds and in whatever order.
    #[test]
    fn stats_counters_round_trip(
        reads in proptest::collection::vec(any::<u64>(), 1..6),
        rx in any::<u64>(),
        cpu in any::<u64>(),
        balloon in any::<u64>(),
        noise in proptest::collection::vec((stat_key(), stat_value()), 0..10),
        shuffle in any::<u64>(),
    ) {
        let mut record: Vec<(Vec<u8>, Stat)> = noise
            .into_iter()
            .filter(|(k, _)| {
                !k.starts_with(b"block.") && !k.starts_with(b"net.") && !k.starts_with(b"cpu.")
                    && !k.starts_with(b"balloon.")
            })
            .collect();
        for (i, r) in reads.iter().enumerate() {
            record.push((format!("block.{i}.rd.bytes\0").into_bytes(), Stat::UInt(*r)));
            record.push((format!("block.{i}.name\0").into_bytes(), Stat::Text(format!("vd{i}").into_bytes())));
        }
        record.push((b"net.0.rx.bytes\0".to_vec(), Stat::UInt(rx)));
        record.push((b"cpu.time\0".to_vec(), Stat::UInt(cpu)));
        record.push((b"balloon.current\0".to_vec(), Stat::UInt(balloon)));
        let len = record.len();
        record.rotate_left(usize::try_from(shuffle % len as u64).unwrap());
        let c = counters(&record);
        prop_assert_eq!(c.disks.len(), reads.len());
        for (i, r) in reads.iter().enumerate() {
            prop_assert_eq!(c.disks[i].read_bytes, *r);
            prop_assert_eq!(&c.disks[i].name, &format!("vd{i}"));
        }
        prop_assert_eq!(c.nics[0].rx_bytes, rx);
        prop_assert_eq!(c.cpu_time_ns, Some(cpu));
        prop_assert_eq!(c.memory.map(|m| m.allocated), Some(balloon.saturating_mul(1024)));
    }
}

// ---- config.toml and themes ----

/// A config value of any TOML type, including the floats that are not numbers.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nan".to_string()),
        Just("-nan".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551615".to_string()),
        Just("9223372036854775807".to_string()),
        Just("0".to_string()),
        Just("\"5\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("[[[[[[[[1]]]]]]]]".to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        any::<String>().prop_map(|s| format!("{s:?}")),
    ]
}

const CONFIG_KEYS: &[&str] = &[
    "refresh_secs",
    "theme",
    "lang",
    "image_pools",
    "settle_timeout_secs",
    "monitor_interval_secs",
    "monitor_window_secs",
];

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn config_parse_never_panics_on_any_text(text in any::<String>()) {
        let _ = Config::parse(&text, Path::new("config.toml"));
    }

    /// Any value for any key: parsed or refused with a message naming the file; the shipped
    /// defaults with one line replaced parse the same way.
    #[test]
    fn config_values_of_any_type(key in proptest::sample::select(CONFIG_KEYS), value in toml_value()) {
        let text = format!("{key} = {value}\n");
        match Config::parse(&text, Path::new("/etc/yun/config.toml")) {
            Ok(config) => {
                let _ = config.monitor_window();
                let _ = config.flavors();
            }
            Err(message) => prop_assert!(message.contains("/etc/yun/config.toml"), "{}", message),
        }
    }

    /// A valid number keeps its value.
    #[test]
    fn config_numbers_keep_their_value(secs in 0i64..=i64::MAX, f in 0.0f64..1e9) {
        let text = format!("settle_timeout_secs = {secs}\nmonitor_window_secs = {secs}\nrefresh_secs = {f:?}\n");
        let config = Config::parse(&text, Path::new("config.toml")).unwrap();
        prop_assert_eq!(config.settle_timeout_secs, secs);
        prop_assert_eq!(config.monitor_window_secs, secs);
        prop_assert_eq!(config.refresh_secs, f);
        prop_assert_eq!(config.monitor_window().as_secs(), secs.clamp(10, 86_400).unsigned_abs());
    }

    /// Flavors of any size, as the create form shows them.
    #[test]
    fn config_flavors_of_any_size(
        vcpus in any::<u32>(),
        ram in any::<u64>(),
        disk in any::<u64>(),
        ephemeral in any::<u64>(),
        swap in any::<u64>(),
    ) {
        let ram = ram >> 1; // TOML integers are signed 64-bit
        let disk = disk >> 1;
        let ephemeral = ephemeral >> 1;
        let swap = swap >> 1;
        let text = format!(
            "[[flavors]]\nid = \"x\"\nname = \"x\"\nvcpus = {vcpus}\nram_mib = {ram}\nroot_disk_gib = {disk}\nephemeral_gib = {ephemeral}\nswap_mib = {swap}\n"
        );
        let config = Config::parse(&text, Path::new("config.toml")).unwrap();
        let flavors = config.flavors();
        prop_assert_eq!(flavors.len(), 1);
        prop_assert_eq!(flavors[0].vcpus, vcpus);
        prop_assert_eq!(flavors[0].ram_bytes, ram.saturating_mul(1 << 20));
        prop_assert_eq!(flavors[0].root_disk_bytes, disk.saturating_mul(1 << 30));
    }

    /// A user theme of any text, extending any other: loaded or refused with the theme's name.
    #[test]
    fn themes_of_any_text(
        text in prop_oneof![
            any::<String>(),
            (proptest::sample::select(&["fg", "bg", "state_error", "nope", "muted"][..]),
             prop_oneof![any::<String>(), "#[0-9a-fA-F]{0,8}".prop_map(|s| s), Just("255".to_string()), Just("256".to_string())])
                .prop_map(|(slot, colour)| format!("[colors]\n{slot} = {colour:?}\n")),
        ],
        extends in proptest::sample::select(&["default", "light", "high-contrast", "mine", "other", "nope"][..]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.toml"), format!("extends = {extends:?}\n{text}")).unwrap();
        std::fs::write(dir.path().join("other.toml"), "extends = \"mine\"\n").unwrap();
        match Theme::load("mine", Some(dir.path())) {
            Ok(theme) => prop_assert_eq!(theme.name, "mine"),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

// ---- clouds.yaml / secure.yaml ----

const CLOUDS_YAML: &str = "clouds:
  mock:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    verify: true
  app:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example/v3
      application_credential_id: abc
    regions:
      - name: R2
";

const SECURE_YAML: &str = "clouds:
  mock:
    auth:
      password: s3cret-pw
  app:
    auth:
      application_credential_secret: s3cret-app
";

/// `load` over a directory holding these two files, as yun finds them.
fn load_clouds(
    clouds: &str,
    secure: Option<&str>,
    cloud: &str,
) -> Result<yun::backend::openstack::CloudConfig, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clouds.yaml"), clouds).unwrap();
    if let Some(secure) = secure {
        std::fs::write(dir.path().join("secure.yaml"), secure).unwrap();
    }
    let discovery = yun::backend::openstack::Discovery {
        env: HashMap::new(),
        dirs: vec![dir.path().to_path_buf()],
    };
    yun::backend::openstack::clouds::load(Some(cloud), &discovery)
}

/// A YAML scalar that is not what a field expects.
fn yaml_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("~".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("-1".to_string()),
        Just("1e999".to_string()),
        Just(".nan".to_string()),
        Just("no".to_string()),
        Just("''".to_string()),
        Just("!!binary aGVsbG8=".to_string()),
        Just("*undefined".to_string()),
        Just("&a [*a]".to_string()),
        Just(
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
                .to_string()
        ),
        any::<String>().prop_map(|s| format!("{s:?}")),
        "[a-zA-Z0-9:/._-]{0,20}".prop_map(|s| s),
    ]
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn clouds_yaml_of_any_text(clouds in any::<String>(), secure in proptest::option::of(any::<String>())) {
        let _ = load_clouds(&clouds, secure.as_deref(), "mock");
    }

    /// Any line of the real file given a hostile value, in clouds.yaml or secure.yaml: a cloud
    /// or an error that names the file, and no secret in either.
    #[test]
    fn clouds_yaml_lines_of_any_value(
        line in any::<prop::sample::Index>(),
        value in yaml_scalar(),
        in_secure in any::<bool>(),
        cloud in proptest::sample::select(&["mock", "app"][..]),
    ) {
        let edit = |text: &str| -> String {
            let lines: Vec<&str> = text.lines().collect();
            let i = line.index(lines.len());
            lines
                .iter()
                .enumerate()
                .map(|(n, l)| match (n == i, l.split_once(':')) {
                    (true, Some((k, _))) => format!("{k}: {value}"),
                    _ => (*l).to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (clouds, secure) = if in_secure {
            (CLOUDS_YAML.to_string(), edit(SECURE_YAML))
        } else {
            (edit(CLOUDS_YAML), SECURE_YAML.to_string())
        };
        match load_clouds(&clouds, Some(&secure), cloud) {
            Ok(config) => {
                let shown = format!("{:?}", config);
                prop_assert!(!shown.contains("s3cret"), "{}", shown);
            }
            Err(message) => {
                prop_assert!(message.contains(".yaml"), "{}", message);
                prop_assert!(!message.contains("s3cret"), "{}", message);
            }
        }
    }

    /// A well-formed cloud keeps its auth URL and region, and takes its password from
    /// secure.yaml.
    #[test]
    fn clouds_yaml_values_are_kept(url in "https?://[a-z]{1,10}(:[0-9]{1,5})?/v3", region in "[A-Za-z][A-Za-z0-9-]{0,15}") {
        let clouds = CLOUDS_YAML
            .replace("http://127.0.0.1:5000/v3", &url)
            .replace("RegionOne", &region);
        let config = load_clouds(&clouds, Some(SECURE_YAML), "mock").unwrap();
        prop_assert_eq!(&config.auth_url, &url);
        prop_assert_eq!(&config.region, &Some(region));
        prop_assert!(!yun::backend::openstack::needs_password(&config));
    }
}

// ---- `next` links ----

mod paging {
    use std::sync::{Arc, Mutex};

    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;
    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
    use yun::backend::openstack::http::{HttpOptions, Paging, Session};
    use yun::backend::openstack::{AuthMethod, CloudConfig, Scope, Secret};

    /// What one case serves: its pages in order, then empty ones; the URLs asked for.
    #[derive(Default)]
    struct Script {
        pages: Vec<Value>,
        asked: Vec<String>,
    }

    struct Pages(Arc<Mutex<Script>>);

    impl Respond for Pages {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let mut script = self.0.lock().unwrap();
            let n = script.asked.len();
            script.asked.push(request.url.to_string());
            let page = script.pages.get(n).cloned().unwrap_or(json!({}));
            ResponseTemplate::new(200).set_body_json(page)
        }
    }

    /// One page: some rows and a `next` link built from hostile parts.
    #[derive(Clone, Debug)]
    struct PageSpec {
        rows: usize,
        prefix: &'static str,
        path: String,
        query: String,
        shape: u8,
    }

    fn page_spec() -> impl Strategy<Value = PageSpec> {
        (
            0usize..3,
            proptest::sample::select(
                &[
                    "",
                    "/",
                    "{home}",
                    "{other}",
                    "//{other_host}",
                    "http://proxy.invalid/elsewhere",
                    "https://{other_host}",
                    "http:{other_host}",
                    "\\\\{other_host}",
                    "{home}@{other_host}",
                    "javascript:",
                    "file://",
                ][..],
            ),
            prop_oneof![
                Just("/compute/v2.1/servers/detail".to_string()),
                Just("/v2/images".to_string()),
                Just("/image/v2/images".to_string()),
                Just(String::new()),
                Just("/../../../x".to_string()),
                any::<String>(),
            ],
            prop_oneof![
                "\\?marker=[a-z0-9]{1,4}&limit=[0-9]{1,2}".prop_map(|s| s),
                Just(String::new()),
                Just("?".to_string()),
                Just("#frag".to_string()),
                any::<String>(),
            ],
            any::<u8>(),
        )
            .prop_map(|(rows, prefix, path, query, shape)| PageSpec {
                rows,
                prefix,
                path,
                query,
                shape,
            })
    }

    fn page(spec: &PageSpec, key: &str, style: Paging, home: &str, other: &str, n: usize) -> Value {
        let other_host = other.trim_start_matches("http://");
        let href = format!("{}{}{}", spec.prefix, spec.path, spec.query)
            .replace("{home}", home)
            .replace("{other_host}", other_host)
            .replace("{other}", other);
        let rows: Vec<Value> = (0..spec.rows)
            .map(|i| json!({"id": format!("r{n}-{i}")}))
            .collect();
        let mut body = json!({ key: rows });
        match (style, spec.shape % 5) {
            (_, 4) => {}
            (Paging::Links, 3) => {
                body[format!("{key}_links")] = json!([{"rel": "next", "href": 7}])
            }
            (Paging::Links, 2) => {
                body[format!("{key}_links")] =
                    json!([{"rel": "prev", "href": "x"}, {"rel": "next", "href": href}])
            }
            (Paging::Links, _) => {
                body[format!("{key}_links")] = json!([{"rel": "next", "href": href}])
            }
            (Paging::GlanceNext, 3) => body["next"] = json!(["x"]),
            (Paging::GlanceNext, _) => body["next"] = json!(href),
        }
        body
    }

    /// Pages whose `next` links point anywhere: yun asks only its own endpoint, never the
    /// other origin, at most once per page served, and (for `_links`) always on the listing's
    /// own path; the rows are those of the pages it read.
    #[test]
    fn next_links_never_leave_the_endpoint() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (home, other, script, stray) = rt.block_on(async {
            let home = MockServer::start().await;
            let other = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/v3/auth/tokens"))
                .respond_with(
                    ResponseTemplate::new(201)
                        .insert_header("X-Subject-Token", "tok")
                        .set_body_json(json!({"token": {"expires_at": "2999-01-01T00:00:00Z"}})),
                )
                .mount(&home)
                .await;
            let script = Arc::new(Mutex::new(Script::default()));
            Mock::given(method("GET"))
                .respond_with(Pages(Arc::clone(&script)))
                .mount(&home)
                .await;
            let stray = Arc::new(Mutex::new(Script::default()));
            Mock::given(wiremock::matchers::any())
                .respond_with(Pages(Arc::clone(&stray)))
                .mount(&other)
                .await;
            (home, other, script, stray)
        });
        let config = CloudConfig {
            name: None,
            auth_url: format!("{}/v3", home.uri()),
            auth: AuthMethod::Token {
                token: Secret::new("t"),
                scope: Scope::None,
            },
            region: None,
            interface: "public".into(),
            cacert: None,
            verify: true,
        };
        let session = Session::new(config, HttpOptions::default()).unwrap();
        let mut runner = TestRunner::new(super::cases(96));
        let strategy = (proptest::collection::vec(page_spec(), 1..5), any::<bool>());
        runner
            .run(&strategy, |(specs, glance)| {
                let (style, key, first) = if glance {
                    (
                        Paging::GlanceNext,
                        "images",
                        format!("{}/image/v2/images", home.uri()),
                    )
                } else {
                    (
                        Paging::Links,
                        "servers",
                        format!("{}/compute/v2.1/servers/detail", home.uri()),
                    )
                };
                let pages: Vec<Value> = specs
                    .iter()
                    .enumerate()
                    .map(|(n, s)| page(s, key, style, &home.uri(), &other.uri(), n))
                    .collect();
                *script.lock().unwrap() = Script {
                    pages: pages.clone(),
                    asked: Vec::new(),
                };
                let result = rt.block_on(session.list_all("compute", &first, key, &[], style));
                let asked = std::mem::take(&mut script.lock().unwrap().asked);
                prop_assert!(
                    stray.lock().unwrap().asked.is_empty(),
                    "asked the other origin: {:?}",
                    stray.lock().unwrap().asked
                );
                prop_assert!(
                    asked.len() <= pages.len() + 1,
                    "{} requests for {} pages: {:?}",
                    asked.len(),
                    pages.len(),
                    asked
                );
                if style == Paging::Links {
                    for url in &asked {
                        let url = reqwest::Url::parse(url).unwrap();
                        prop_assert_eq!(url.path(), "/compute/v2.1/servers/detail");
                    }
                }
                if let Ok(items) = result {
                    let served: usize = pages
                        .iter()
                        .take(asked.len())
                        .map(|p| p[key].as_array().map_or(0, Vec::len))
                        .sum();
                    prop_assert_eq!(items.len(), served);
                }
                Ok(())
            })
            .unwrap();
    }
}

// ---- regressions: the minimised inputs of what the properties and the fuzzer found ----

/// `swap_mib = 35184372088832` (2^45) overflowed `swap_mib * MiB` when the flavors were built.
#[test]
fn regression_config_flavor_of_huge_swap_saturates() {
    let text = "[[flavors]]\nid = \"x\"\nname = \"x\"\nvcpus = 0\nram_mib = 0\nroot_disk_gib = 0\nswap_mib = 35184372088832\n";
    let config = Config::parse(text, Path::new("config.toml")).unwrap();
    assert_eq!(config.flavors()[0].swap_bytes, u64::MAX);
}

proptest! {
    #![proptest_config(cases(256))]

    /// Every CIDR a network shows is one: a prefix within the address family's length, on the
    /// network address.
    #[test]
    fn network_cidrs_are_valid(
        address in prop_oneof![
            any::<u32>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
            any::<u128>().prop_map(|a| std::net::Ipv6Addr::from(a).to_string()),
            any::<String>(),
        ],
        prefix in prop_oneof![any::<u8>().prop_map(|p| format!("prefix='{p}'")), any::<u32>().prop_map(|m| format!("netmask='{}'", std::net::Ipv4Addr::from(m))), Just(String::new())],
    ) {
        let text = format!("<network><name>n</name><ip address='{}' {prefix}/></network>", xml_escape(&address));
        let Ok(net) = xml::parse_network(&text) else { return Ok(()) };
        for cidr in &net.cidrs {
            let (ip, bits) = cidr.split_once('/').unwrap();
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let bits: u32 = bits.parse().unwrap();
            let max = if ip.is_ipv4() { 32 } else { 128 };
            prop_assert!(bits <= max, "{} from {}", cidr, text);
            let again = xml::network_cidr(&ip.to_string(), bits as u8);
            prop_assert_eq!(again.as_deref(), Some(cidr.as_str()));
        }
    }

    /// `#rrggbb` is a colour exactly when it is six hex digits.
    #[test]
    fn hex_colours_are_six_hex_digits(hex in prop_oneof!["[0-9a-fA-F]{6}".prop_map(|s| s), "[+0-9a-fA-F-]{6}".prop_map(|s| s), any::<String>()]) {
        let parsed = yun::theme::parse_color(&format!("#{hex}"));
        let valid = hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit());
        prop_assert_eq!(parsed.is_some(), valid, "#{}", hex);
    }
}

/// The fuzzer's `[[2]]`: a listing whose row is the array `[2]` gave a server with the id `2`
/// (serde reads a struct from an array, field by field). Rows that are not objects are skipped.
#[test]
fn regression_a_row_that_is_an_array_is_skipped() {
    for key in LISTINGS {
        let (decoded, skipped, ids) = decode_listing(
            key,
            vec![json!([2]), json!(["a", "b"]), json!("x"), json!(7)],
        );
        assert_eq!((decoded, skipped, ids.len()), (0, 4, 0), "{key}");
    }
}

/// `prefix='33'` on an IPv4 network was shown as the CIDR `0.0.0.0/33`.
#[test]
fn regression_network_prefix_longer_than_the_address_is_no_cidr() {
    let net = xml::parse_network(
        "<network><name>n</name><ip address='0.0.0.0' prefix='33'/><ip address='::1' prefix='129'/><ip address='10.1.2.3' prefix='32'/></network>",
    )
    .unwrap();
    assert_eq!(net.cidrs, vec!["10.1.2.3/32".to_string()]);
}

/// `#+a0aAa` was taken for the colour `#0a0aaa`: the sign went through `from_str_radix`.
#[test]
fn regression_hex_colour_with_a_sign_is_not_a_colour() {
    assert_eq!(yun::theme::parse_color("#+a0aAa"), None);
    assert_eq!(
        yun::theme::parse_color("#0A0aAa"),
        Some(ratatui::style::Color::Rgb(0x0a, 0x0a, 0xaa))
    );
}
