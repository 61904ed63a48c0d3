//! Formatting of sizes, address lists and times for cells, detail rows and `yun list`.

use humansize::{BINARY, format_size};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::model::{Address, InstanceSize};

/// `2 GiB`, `512 MiB`; `—` for an unknown size.
pub fn size(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "—".to_string(),
        |b| format_size(b, BINARY.decimal_places(1).decimal_zeroes(0)),
    )
}

pub fn bytes(b: u64) -> String {
    size(Some(b))
}

/// The Size column: `m1.small · 1 vCPU · 2 GiB RAM · 20 GiB disk`.
pub fn instance_size(s: &InstanceSize) -> String {
    let mut parts = Vec::with_capacity(4);
    if let Some(f) = &s.flavor {
        parts.push(f.clone());
    }
    parts.push(format!("{} vCPU", s.vcpus));
    parts.push(format!("{} RAM", bytes(s.ram_bytes)));
    if s.disk_bytes > 0 {
        parts.push(format!("{} disk", bytes(s.disk_bytes)));
    }
    parts.join(" · ")
}

/// `192.168.150.10, 10.0.0.4`, in a stable order.
pub fn addresses(list: &[Address]) -> String {
    let mut ips: Vec<&str> = list.iter().map(|a| a.ip.as_str()).collect();
    ips.dedup();
    ips.join(", ")
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC`; 0 means never.
pub fn epoch(secs: i64) -> Option<String> {
    if secs <= 0 {
        return None;
    }
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::civil::civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

/// Whether `c` must not reach a terminal or a spreadsheet as itself: the C0 and C1 controls,
/// DEL, and the bidirectional overrides, isolates and marks that reorder what is displayed.
fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
}

/// Text from a cloud or a domain made safe to print: every control character and bidi control
/// is written visibly as an escape (`\e`, `\n`, `\x07`, `\u{202e}`) instead of being sent to the
/// terminal (where it could retitle or clear it) or silently dropped (which would hide it).
/// Text without any comes back unchanged and unallocated.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write;
    if !text.chars().any(is_hostile) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_hostile(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`escape_controls`] for an owned string, which is kept as is when it is clean.
pub fn escape_controls_owned(text: String) -> String {
    match escape_controls(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

/// Cut `text` to at most `width` display columns, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Pad `text` with spaces to `width` display columns.
pub fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    if w >= width {
        text.to_string()
    } else {
        format!("{text}{}", " ".repeat(width - w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_binary_and_short() {
        assert_eq!(bytes(512 * 1024 * 1024), "512 MiB");
        assert_eq!(bytes(2 * 1024 * 1024 * 1024), "2 GiB");
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(size(None), "—");
    }

    #[test]
    fn epoch_formats_as_utc() {
        assert_eq!(epoch(0), None);
        assert_eq!(
            epoch(1_700_000_000).as_deref(),
            Some("2023-11-14 22:13:20 UTC")
        );
    }

    #[test]
    fn controls_and_bidi_are_escaped_visibly() {
        assert_eq!(
            escape_controls("evil\u{1b}]0;PWNED\u{7}\u{1b}[2J"),
            "evil\\e]0;PWNED\\x07\\e[2J"
        );
        assert_eq!(
            escape_controls("a\u{202e}b\u{2066}c\u{200f}d\u{61c}e\u{9b}f\u{7f}"),
            "a\\u{202e}b\\u{2066}c\\u{200f}d\\u{61c}e\\u{9b}f\\x7f"
        );
        assert_eq!(escape_controls("tab\there\nnl\r"), "tab\\there\\nnl\\r");
        assert!(matches!(
            escape_controls("数据库-主 web 01"),
            std::borrow::Cow::Borrowed("数据库-主 web 01")
        ));
    }

    #[test]
    fn truncation_counts_display_width() {
        assert_eq!(truncate("数据库-主", 5), "数据…");
        assert_eq!(truncate("web-01", 6), "web-01");
        assert_eq!(truncate("web-01", 4), "web…");
        assert_eq!(pad("数据", 6), "数据  ");
    }
}
