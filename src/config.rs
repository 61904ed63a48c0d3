//! `config.toml`: where it lives, what it may say, and how a bad file is reported.
//!
//! A file that does not parse never stops yun: the error names the file, line and key, and
//! yun goes on with the defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{INTERVAL_RANGE, REFRESH_RANGE};
use crate::model::Flavor;

/// The documented defaults, shipped as a commented file (a test parses it).
pub const DEFAULT_CONFIG: &str = include_str!("../config.default.toml");

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seconds between refreshes of the visible table (lifecycle events update rows at once).
    pub refresh_secs: f64,
    pub theme: String,
    /// `auto` (from LANG), `en` or `zh`.
    pub lang: String,
    /// Storage pools whose volumes are listed as images.
    pub image_pools: Vec<String>,
    /// Seconds to wait for a graceful shutdown or reboot to change the state before giving up.
    /// Signed so that a negative value is reported against its key, not as a type error.
    pub settle_timeout_secs: i64,
    /// Seconds between monitor samples (only while statistics are on screen).
    pub monitor_interval_secs: f64,
    /// Seconds of history the monitor charts keep.
    pub monitor_window_secs: i64,
    pub flavors: Vec<FlavorConfig>,
    pub audit: AuditConfig,
    /// `[keys]` as written, with spans: the keymap checks the entries and reports each bad one
    /// by its line, so this stays raw here.
    #[serde(rename = "keys")]
    keys_table: KeyGroup,
    /// `[keys]` resolved to entries with their places, filled in by `parse`.
    #[serde(skip)]
    pub keys: Vec<KeyOverride>,
}

/// One `[keys]` entry: a binding id and the keys the user gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyOverride {
    pub id: String,
    /// The keys as written; `None` when the value is neither a string nor a list of strings.
    pub keys: Option<Vec<String>>,
    /// Where the entry stands, for messages: `<file> line <n>`.
    pub at: String,
}

/// `[audit]`: the log of every change yun makes.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Refuse a change when the audit log cannot be written (else warn and go ahead).
    pub required: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self { required: true }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FlavorConfig {
    pub id: String,
    pub name: String,
    pub vcpus: u32,
    pub ram_mib: u64,
    pub root_disk_gib: u64,
    #[serde(default)]
    pub ephemeral_gib: u64,
    #[serde(default)]
    pub swap_mib: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            refresh_secs: 5.0,
            theme: "default".into(),
            lang: "auto".into(),
            image_pools: vec!["images".into()],
            settle_timeout_secs: 60,
            monitor_interval_secs: 1.0,
            monitor_window_secs: 300,
            flavors: default_flavors(),
            audit: AuditConfig::default(),
            keys_table: KeyGroup::default(),
            keys: Vec::new(),
        }
    }
}

/// The dashboard's classic flavor table.
fn default_flavors() -> Vec<FlavorConfig> {
    let f = |id: &str, name: &str, vcpus, ram_mib, root_disk_gib| FlavorConfig {
        id: id.into(),
        name: name.into(),
        vcpus,
        ram_mib,
        root_disk_gib,
        ephemeral_gib: 0,
        swap_mib: 0,
    };
    vec![
        f("1", "m1.tiny", 1, 512, 1),
        f("2", "m1.small", 1, 2048, 20),
        f("3", "m1.medium", 2, 4096, 40),
        f("4", "m1.large", 4, 8192, 80),
        f("5", "m1.xlarge", 16, 16384, 160),
    ]
}

/// Ranges of the numeric settings; a value outside is replaced by the default, with a message.
const SETTLE_RANGE: (i64, i64) = (1, 86_400);
const WINDOW_RANGE: (i64, i64) = (10, 86_400);

/// Whole seconds kept inside `(min, max)` (both positive).
fn whole_seconds_within(secs: i64, (min, max): (i64, i64)) -> Duration {
    Duration::from_secs(secs.clamp(min, max).unsigned_abs())
}

/// Seconds as a `Duration`, kept inside `(min, max)`. `f64::clamp` lets NaN through and
/// `Duration::from_secs_f64` panics on NaN and huge values, so a non-finite value gives `min`.
fn seconds_within(secs: f64, (min, max): (f64, f64)) -> Duration {
    let secs = if secs.is_finite() {
        secs.clamp(min, max)
    } else {
        min
    };
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(1))
}

impl Config {
    pub fn refresh(&self) -> Duration {
        // Clamped so a typo such as 0 cannot turn the refresh into a busy loop.
        seconds_within(self.refresh_secs, REFRESH_RANGE)
    }

    pub fn monitor_interval(&self) -> Duration {
        seconds_within(self.monitor_interval_secs, INTERVAL_RANGE)
    }

    pub fn monitor_window(&self) -> Duration {
        whole_seconds_within(self.monitor_window_secs, WINDOW_RANGE)
    }

    pub fn settle_timeout(&self) -> Duration {
        whole_seconds_within(self.settle_timeout_secs, SETTLE_RANGE)
    }

    /// Replace every numeric setting outside its range (NaN, infinities, negatives, huge
    /// values) by its default; one message per setting replaced, naming the file and key.
    fn check_ranges(&mut self, file: &Path) -> Vec<String> {
        let defaults = Self::default();
        let mut messages = Vec::new();
        let mut report = |key: &str, value: String, range: String, default: String| {
            messages.push(format!(
                "{}: key `{key}` = {value} is out of range ({range}); using the default {default}",
                file.display()
            ));
        };
        let float_ok = |v: f64, (min, max): (f64, f64)| v.is_finite() && (min..=max).contains(&v);
        if !float_ok(self.refresh_secs, REFRESH_RANGE) {
            report(
                "refresh_secs",
                self.refresh_secs.to_string(),
                format!("{} to {}", REFRESH_RANGE.0, REFRESH_RANGE.1),
                defaults.refresh_secs.to_string(),
            );
            self.refresh_secs = defaults.refresh_secs;
        }
        if !float_ok(self.monitor_interval_secs, INTERVAL_RANGE) {
            report(
                "monitor_interval_secs",
                self.monitor_interval_secs.to_string(),
                format!("{} to {}", INTERVAL_RANGE.0, INTERVAL_RANGE.1),
                defaults.monitor_interval_secs.to_string(),
            );
            self.monitor_interval_secs = defaults.monitor_interval_secs;
        }
        if !(WINDOW_RANGE.0..=WINDOW_RANGE.1).contains(&self.monitor_window_secs) {
            report(
                "monitor_window_secs",
                self.monitor_window_secs.to_string(),
                format!("{} to {}", WINDOW_RANGE.0, WINDOW_RANGE.1),
                defaults.monitor_window_secs.to_string(),
            );
            self.monitor_window_secs = defaults.monitor_window_secs;
        }
        if !(SETTLE_RANGE.0..=SETTLE_RANGE.1).contains(&self.settle_timeout_secs) {
            report(
                "settle_timeout_secs",
                self.settle_timeout_secs.to_string(),
                format!("{} to {}", SETTLE_RANGE.0, SETTLE_RANGE.1),
                defaults.settle_timeout_secs.to_string(),
            );
            self.settle_timeout_secs = defaults.settle_timeout_secs;
        }
        messages
    }

    pub fn flavors(&self) -> Vec<Flavor> {
        self.flavors
            .iter()
            .map(|f| Flavor {
                id: f.id.clone(),
                name: f.name.clone(),
                vcpus: f.vcpus,
                ram_bytes: f.ram_mib.saturating_mul(MIB),
                root_disk_bytes: f.root_disk_gib.saturating_mul(GIB),
                ephemeral_bytes: f.ephemeral_gib.saturating_mul(GIB),
                swap_bytes: f.swap_mib.saturating_mul(MIB),
                public: None,
                fits: None,
                extra_specs: Vec::new(),
            })
            .collect()
    }

    /// Parse a config text; the error names the file, line and key.
    pub fn parse(text: &str, file: &Path) -> Result<Self, String> {
        let mut config =
            toml::from_str::<Self>(text).map_err(|e| describe_toml_error(&e, text, file))?;
        config.keys = key_overrides(&config.keys_table, text, file);
        Ok(config)
    }

    /// Load `config.toml` from `dir`. A missing file gives the defaults; a bad one gives the
    /// defaults and the message to show.
    pub fn load(dir: &Path) -> (Self, Option<String>) {
        let path = dir.join("config.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => match Self::parse(&text, &path) {
                Ok(mut config) => {
                    let messages = config.check_ranges(&path);
                    (config, (!messages.is_empty()).then(|| messages.join("; ")))
                }
                Err(message) => (Self::default(), Some(message)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (
                Self::default(),
                Some(format!("{}: {e}; using defaults", path.display())),
            ),
        }
    }
}

/// `[keys]` as TOML nests it: `instance.delete = "x"` is a dotted key, so it arrives as
/// `instance = { delete = "x" }`; each key keeps its span for the line number.
#[derive(Clone, Debug, Default, PartialEq)]
struct KeyGroup(Vec<(toml::Spanned<String>, KeyNode)>);

#[derive(Clone, Debug, PartialEq)]
enum KeyNode {
    /// A string or a list of strings; `None` for any other value.
    Keys(Option<Vec<String>>),
    Group(KeyGroup),
}

impl<'de> Deserialize<'de> for KeyGroup {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match KeyNode::deserialize(d)? {
            KeyNode::Group(group) => Ok(group),
            KeyNode::Keys(_) => Err(serde::de::Error::custom(
                "`keys` must be a table: [keys] with lines such as instance.delete = \"ctrl-d\"",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for KeyNode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyNodeVisitor)
    }
}

struct KeyNodeVisitor;

impl<'de> serde::de::Visitor<'de> for KeyNodeVisitor {
    type Value = KeyNode;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key, a list of keys, or a table of bindings")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyNode, E> {
        Ok(KeyNode::Keys(Some(vec![v.to_string()])))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<KeyNode, A::Error> {
        let mut keys = Some(Vec::new());
        while let Some(value) = seq.next_element::<toml::Value>()? {
            match (value.as_str(), keys.as_mut()) {
                (Some(key), Some(list)) => list.push(key.to_string()),
                _ => keys = None,
            }
        }
        Ok(KeyNode::Keys(keys))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<KeyNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<toml::Spanned<String>>()? {
            entries.push((key, map.next_value::<KeyNode>()?));
        }
        Ok(KeyNode::Group(KeyGroup(entries)))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<KeyNode, E> {
        Ok(KeyNode::Keys(None))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<KeyNode, E> {
        Ok(KeyNode::Keys(None))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<KeyNode, E> {
        Ok(KeyNode::Keys(None))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<KeyNode, E> {
        Ok(KeyNode::Keys(None))
    }
}

/// The `[keys]` entries in the order they are written, each with its file and line.
fn key_overrides(group: &KeyGroup, text: &str, file: &Path) -> Vec<KeyOverride> {
    fn walk(group: &KeyGroup, prefix: &str, out: &mut Vec<(usize, String, Option<Vec<String>>)>) {
        for (key, node) in &group.0 {
            let id = if prefix.is_empty() {
                key.get_ref().clone()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            match node {
                KeyNode::Keys(keys) => out.push((key.span().start, id, keys.clone())),
                KeyNode::Group(inner) => walk(inner, &id, out),
            }
        }
    }
    let mut entries = Vec::new();
    walk(group, "", &mut entries);
    entries.sort_by_key(|(start, _, _)| *start);
    entries
        .into_iter()
        .map(|(start, id, keys)| KeyOverride {
            id,
            keys,
            at: format!("{} line {}", file.display(), line_of(text, start)),
        })
        .collect()
}

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

fn describe_toml_error(e: &toml::de::Error, text: &str, file: &Path) -> String {
    let message = e.message().trim();
    let Some(span) = e.span() else {
        return format!("{}: {message}; using defaults", file.display());
    };
    let line = line_of(text, span.start);
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let key = line_text
        .split('=')
        .next()
        .map(str::trim)
        .filter(|k| !k.is_empty() && !k.starts_with('['))
        .map(|k| format!(", key `{k}`"))
        .unwrap_or_default();
    format!(
        "{} line {line}{key}: {message}; using defaults",
        file.display()
    )
}

/// Where yun keeps its files.
#[derive(Clone, Debug)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub state_dir: PathBuf,
}

impl Paths {
    /// `YUN_CONFIG_DIR` → `$XDG_CONFIG_HOME/yun` → the platform's config dir. The state dir (logs,
    /// the demo host file) follows `YUN_STATE_DIR` → `$XDG_STATE_HOME/yun` → the platform's.
    /// Without a home directory there is no safe default: a shared `/tmp` would let another
    /// user plant the files yun writes (it often runs as root), so the error says what to set.
    pub fn resolve() -> Result<Self, String> {
        let dirs = directories::ProjectDirs::from("", "", "yun");
        let env_dir = |var: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let config_dir = env_dir("YUN_CONFIG_DIR")
            .or_else(|| env_dir("XDG_CONFIG_HOME").map(|d| d.join("yun")))
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_path_buf()));
        let state_dir = env_dir("YUN_STATE_DIR")
            .or_else(|| env_dir("XDG_STATE_HOME").map(|d| d.join("yun")))
            .or_else(|| {
                dirs.as_ref()
                    .and_then(|d| d.state_dir().map(Path::to_path_buf))
            })
            .or_else(|| dirs.as_ref().map(|d| d.data_local_dir().to_path_buf()));
        match (config_dir, state_dir) {
            (Some(config_dir), Some(state_dir)) => Ok(Self {
                config_dir,
                state_dir,
            }),
            (config, state) => {
                let mut missing = Vec::new();
                if state.is_none() {
                    missing.push("its state and logs (set YUN_STATE_DIR or XDG_STATE_HOME)");
                }
                if config.is_none() {
                    missing.push("its configuration (set YUN_CONFIG_DIR or XDG_CONFIG_HOME)");
                }
                Err(format!(
                    "yun: no home directory is known, so yun cannot tell where to keep {}; \
                     set HOME, or the variables named",
                    missing.join(" or ")
                ))
            }
        }
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_default_config_parses_to_the_defaults() {
        let parsed = Config::parse(DEFAULT_CONFIG, Path::new("config.default.toml")).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn the_uncommented_default_config_parses_to_the_defaults() {
        // Every setting in the shipped file is commented out; un-commenting them must give the
        // same values, so the documentation cannot drift from the code.
        let uncommented: String = DEFAULT_CONFIG
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|r| {
                r.starts_with('[') || r.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let mut parsed = Config::parse(&uncommented, Path::new("x")).unwrap();
        // `[keys]` lists every binding with its default keys (the keymap's tests check those);
        // an empty `[keys]` means the same.
        assert!(!parsed.keys.is_empty());
        parsed.keys.clear();
        parsed.keys_table = KeyGroup::default();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn keys_entries_keep_their_ids_and_lines_dotted_quoted_or_in_subtables() {
        let text = "theme = \"light\"\n[keys]\ninstance.delete = \"X\"\n\
                    \"table.down\" = [\"j\", \"down\"]\napp.quit = 5\n\
                    [keys.tab]\nnext = \"ctrl-n\"\n";
        let config = Config::parse(text, Path::new("/c/config.toml")).unwrap();
        let entries: Vec<(&str, Option<Vec<&str>>, &str)> = config
            .keys
            .iter()
            .map(|k| {
                let keys = k
                    .keys
                    .as_ref()
                    .map(|list| list.iter().map(String::as_str).collect());
                (k.id.as_str(), keys, k.at.as_str())
            })
            .collect();
        assert_eq!(
            entries,
            vec![
                ("instance.delete", Some(vec!["X"]), "/c/config.toml line 3"),
                (
                    "table.down",
                    Some(vec!["j", "down"]),
                    "/c/config.toml line 4"
                ),
                ("app.quit", None, "/c/config.toml line 5"),
                ("tab.next", Some(vec!["ctrl-n"]), "/c/config.toml line 7"),
            ]
        );
        assert_eq!(config.theme, "light");
    }

    #[test]
    fn keys_that_is_not_a_table_is_reported_with_its_line() {
        let err = Config::parse("\nkeys = \"x\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.contains("c.toml line 2"), "{err}");
        assert!(err.contains("must be a table"), "{err}");
    }

    #[test]
    fn bad_value_names_file_line_and_key() {
        let text = "theme = \"light\"\nrefresh_secs = \"soon\"\n";
        let err = Config::parse(text, Path::new("/etc/yun/config.toml")).unwrap_err();
        assert!(err.contains("/etc/yun/config.toml line 2"), "{err}");
        assert!(err.contains("key `refresh_secs`"), "{err}");
    }

    #[test]
    fn unknown_key_is_reported_and_defaults_are_used() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "refesh_secs = 2\n").unwrap();
        let (config, err) = Config::load(dir.path());
        assert_eq!(config, Config::default());
        let err = err.unwrap();
        assert!(err.contains("line 1"), "{err}");
        assert!(err.contains("refesh_secs"), "{err}");
    }

    fn load_text(text: &str) -> (Config, Option<String>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
        Config::load(dir.path())
    }

    #[test]
    fn non_finite_and_out_of_range_seconds_fall_back_to_the_defaults_with_a_message() {
        for key in ["refresh_secs", "monitor_interval_secs"] {
            for value in ["nan", "inf", "-inf", "-1.0", "0.0", "1e300"] {
                let (config, err) = load_text(&format!("{key} = {value}\n"));
                assert_eq!(config, Config::default(), "{key} = {value}");
                let err = err.unwrap_or_else(|| panic!("no message for {key} = {value}"));
                assert!(err.contains("config.toml: key `"), "{err}");
                assert!(err.contains(key), "{err}");
                assert!(err.contains("using the default"), "{err}");
                // The durations are computed without panicking.
                let _ = (config.refresh(), config.monitor_interval());
            }
        }
        for key in ["monitor_window_secs", "settle_timeout_secs"] {
            for value in ["0", "-1", "-9223372036854775808", "9223372036854775807"] {
                let (config, err) = load_text(&format!("{key} = {value}\n"));
                assert_eq!(config, Config::default(), "{key} = {value}");
                let err = err.unwrap();
                assert!(
                    err.contains(&format!("key `{key}` = {value} is out of range")),
                    "{err}"
                );
            }
            // Not an integer of seconds at all: the whole file is reported, defaults used.
            for value in ["nan", "inf", "1e20", "99999999999999999999"] {
                let (config, err) = load_text(&format!("{key} = {value}\n"));
                assert_eq!(config, Config::default(), "{key} = {value}");
                assert!(err.unwrap().contains(key), "{key} = {value}");
            }
        }
    }

    #[test]
    fn in_range_values_are_kept_and_two_bad_keys_give_two_messages() {
        let (config, err) = load_text("refresh_secs = 2.5\nsettle_timeout_secs = 10\n");
        assert_eq!(err, None);
        assert_eq!(config.refresh(), Duration::from_millis(2500));
        assert_eq!(config.settle_timeout(), Duration::from_secs(10));
        let (_, err) = load_text("refresh_secs = nan\nmonitor_interval_secs = inf\n");
        let err = err.unwrap();
        assert!(err.contains("refresh_secs") && err.contains("monitor_interval_secs"));
    }

    #[test]
    fn durations_never_panic_on_values_set_in_code() {
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -5.0,
            1e300,
            f64::MAX,
        ] {
            let c = Config {
                refresh_secs: v,
                monitor_interval_secs: v,
                settle_timeout_secs: i64::MAX,
                monitor_window_secs: i64::MIN,
                ..Config::default()
            };
            assert!(c.refresh() >= Duration::from_millis(500));
            assert!(c.refresh() <= Duration::from_secs(3600));
            assert!(c.monitor_interval() <= Duration::from_secs(3600));
            assert_eq!(c.settle_timeout(), Duration::from_secs(86_400));
            assert_eq!(c.monitor_window(), Duration::from_secs(10));
        }
    }

    #[test]
    fn refresh_is_clamped_away_from_zero() {
        let c = Config {
            refresh_secs: 0.0,
            ..Config::default()
        };
        assert_eq!(c.refresh(), Duration::from_millis(500));
    }
}
