//! Themes: semantic colour slots (state colours, selection, errors…) read from TOML files.
//! Built-ins come from `themes/*.toml` in the repository; users drop more files into
//! `<config dir>/themes/`. A theme may `extends` another and set only the slots it changes.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::model::InstanceStatus;

/// Built-in themes, embedded at compile time.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../themes/default.toml")),
    ("light", include_str!("../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.toml"),
    ),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub fg: Color,
    pub bg: Color,
    pub muted: Color,
    pub accent: Color,
    pub title: Color,
    pub border: Color,
    pub header: Color,
    pub tab_active: Color,
    pub tab_inactive: Color,
    pub table_header: Color,
    pub selection_fg: Color,
    pub selection_bg: Color,
    pub info: Color,
    pub success: Color,
    pub warning: Color,
    pub error: Color,
    pub state_active: Color,
    pub state_build: Color,
    pub state_shutoff: Color,
    pub state_paused: Color,
    pub state_suspended: Color,
    pub state_crashed: Color,
    pub state_error: Color,
    pub state_task: Color,
    pub gauge_fill: Color,
    pub gauge_empty: Color,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    extends: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, String>,
}

#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum ThemeError {
    #[error("unknown theme `{0}` (built-in: default, light, high-contrast)")]
    Unknown(String),
    #[error("theme `{theme}`: {detail}")]
    Invalid { theme: String, detail: String },
}

impl Theme {
    /// The built-in default theme. Its file is part of the binary and parsed by a test, so this
    /// cannot fail at run time; the fallback keeps the program total anyway.
    pub fn default_theme() -> Self {
        Self::load("default", None).unwrap_or_else(|_| Self::monochrome())
    }

    /// Load `name` from the user's theme directory first, then the built-ins.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Self, ThemeError> {
        let mut chain = Vec::new();
        let mut next = Some(name.to_string());
        while let Some(current) = next.take() {
            if chain
                .iter()
                .any(|(n, _): &(String, ThemeFile)| n == &current)
                || chain.len() > 8
            {
                return Err(ThemeError::Invalid {
                    theme: name.into(),
                    detail: format!("`extends` loops through `{current}`"),
                });
            }
            let text = find_theme_text(&current, user_dir)?;
            let file: ThemeFile = toml::from_str(&text).map_err(|e| ThemeError::Invalid {
                theme: current.clone(),
                detail: e.message().to_string(),
            })?;
            next.clone_from(&file.extends);
            chain.push((current, file));
        }
        let mut theme = Self::monochrome();
        theme.name = name.to_string();
        // Apply the most basic theme first, so each descendant overrides its parent.
        for (theme_name, file) in chain.iter().rev() {
            for (slot, value) in &file.colors {
                let color = parse_color(value).ok_or_else(|| ThemeError::Invalid {
                    theme: theme_name.clone(),
                    detail: format!("`{slot}`: `{value}` is not a colour"),
                })?;
                theme.set(slot, color).map_err(|()| ThemeError::Invalid {
                    theme: theme_name.clone(),
                    detail: format!("unknown colour slot `{slot}`"),
                })?;
            }
            if let Some(n) = &file.name {
                theme.name.clone_from(n);
            }
        }
        theme.name = name.to_string();
        Ok(theme)
    }

    /// Terminal default colours everywhere; the base every theme file is applied on.
    fn monochrome() -> Self {
        let r = Color::Reset;
        Self {
            name: "monochrome".into(),
            fg: r,
            bg: r,
            muted: r,
            accent: r,
            title: r,
            border: r,
            header: r,
            tab_active: r,
            tab_inactive: r,
            table_header: r,
            selection_fg: r,
            selection_bg: r,
            info: r,
            success: r,
            warning: r,
            error: r,
            state_active: r,
            state_build: r,
            state_shutoff: r,
            state_paused: r,
            state_suspended: r,
            state_crashed: r,
            state_error: r,
            state_task: r,
            gauge_fill: r,
            gauge_empty: r,
        }
    }

    fn set(&mut self, slot: &str, color: Color) -> Result<(), ()> {
        let field = match slot {
            "fg" => &mut self.fg,
            "bg" => &mut self.bg,
            "muted" => &mut self.muted,
            "accent" => &mut self.accent,
            "title" => &mut self.title,
            "border" => &mut self.border,
            "header" => &mut self.header,
            "tab_active" => &mut self.tab_active,
            "tab_inactive" => &mut self.tab_inactive,
            "table_header" => &mut self.table_header,
            "selection_fg" => &mut self.selection_fg,
            "selection_bg" => &mut self.selection_bg,
            "info" => &mut self.info,
            "success" => &mut self.success,
            "warning" => &mut self.warning,
            "error" => &mut self.error,
            "state_active" => &mut self.state_active,
            "state_build" => &mut self.state_build,
            "state_shutoff" => &mut self.state_shutoff,
            "state_paused" => &mut self.state_paused,
            "state_suspended" => &mut self.state_suspended,
            "state_crashed" => &mut self.state_crashed,
            "state_error" => &mut self.state_error,
            "state_task" => &mut self.state_task,
            "gauge_fill" => &mut self.gauge_fill,
            "gauge_empty" => &mut self.gauge_empty,
            _ => return Err(()),
        };
        *field = color;
        Ok(())
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.fg).bg(self.bg)
    }

    pub fn muted(&self) -> Style {
        self.base().fg(self.muted)
    }

    pub fn selection(&self) -> Style {
        Style::default()
            .fg(self.selection_fg)
            .bg(self.selection_bg)
            .add_modifier(Modifier::BOLD)
    }

    pub fn status_color(&self, status: &InstanceStatus) -> Color {
        match status {
            InstanceStatus::Active => self.state_active,
            InstanceStatus::Build => self.state_build,
            InstanceStatus::Shutoff => self.state_shutoff,
            InstanceStatus::Paused => self.state_paused,
            InstanceStatus::Suspended => self.state_suspended,
            InstanceStatus::Crashed => self.state_crashed,
            InstanceStatus::Error => self.state_error,
            InstanceStatus::Other(_) => self.fg,
        }
    }
}

fn find_theme_text(name: &str, user_dir: Option<&Path>) -> Result<String, ThemeError> {
    if let Some(dir) = user_dir {
        let path = dir.join(format!("{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Ok(text);
        }
    }
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| (*text).to_string())
        .ok_or_else(|| ThemeError::Unknown(name.into()))
}

/// Names of every theme available: built-ins and the user's.
pub fn available(user_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN.iter().map(|(n, _)| (*n).to_string()).collect();
    if let Some(Ok(entries)) = user_dir.map(std::fs::read_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && !names.iter().any(|n| n == stem)
            {
                names.push(stem.to_string());
            }
        }
    }
    names
}

pub fn parse_color(value: &str) -> Option<Color> {
    let v = value.trim().to_ascii_lowercase();
    if let Some(hex) = v.strip_prefix('#') {
        // `from_str_radix` alone would also take a sign (`#+fffff`).
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let n = u32::from_str_radix(hex, 16).ok()?;
        let [_, r, g, b] = n.to_be_bytes();
        return Some(Color::Rgb(r, g, b));
    }
    if let Ok(index) = v.parse::<u8>() {
        return Some(Color::Indexed(index));
    }
    Some(match v.replace('_', "-").as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark-gray" | "dark-grey" => Color::DarkGray,
        "light-red" => Color::LightRed,
        "light-green" => Color::LightGreen,
        "light-yellow" => Color::LightYellow,
        "light-blue" => Color::LightBlue,
        "light-magenta" => Color::LightMagenta,
        "light-cyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_numbers_out_of_range_are_refused_not_wrapped() {
        for bad in [
            "256",
            "-1",
            "1e3",
            "nan",
            "#fffffff",
            "#12345",
            "#+12345",
            "#ＡＢＣ",
        ] {
            assert_eq!(parse_color(bad), None, "{bad}");
        }
        assert_eq!(parse_color("255"), Some(Color::Indexed(255)));
        assert_eq!(parse_color("#FF0080"), Some(Color::Rgb(255, 0, 128)));
    }

    #[test]
    fn every_builtin_theme_parses_and_sets_every_slot() {
        for (name, _) in BUILTIN {
            let theme = Theme::load(name, None).unwrap();
            assert_eq!(&theme.name, name);
            assert_ne!(theme.state_active, theme.state_error, "{name}");
            assert_ne!(theme.selection_bg, Color::Reset, "{name}");
        }
    }

    #[test]
    fn user_theme_extends_a_builtin_and_overrides_one_slot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "extends = \"default\"\n[colors]\nstate_error = \"#ff0000\"\n",
        )
        .unwrap();
        let theme = Theme::load("mine", Some(dir.path())).unwrap();
        assert_eq!(theme.state_error, Color::Rgb(255, 0, 0));
        assert_eq!(theme.state_active, Theme::default_theme().state_active);
        assert!(available(Some(dir.path())).contains(&"mine".to_string()));
    }

    #[test]
    fn bad_theme_names_the_slot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "[colors]\nstate_eror = \"red\"\n",
        )
        .unwrap();
        let err = Theme::load("bad", Some(dir.path())).unwrap_err();
        assert!(err.to_string().contains("state_eror"), "{err}");
        assert!(matches!(
            Theme::load("nope", None),
            Err(ThemeError::Unknown(_))
        ));
    }
}
