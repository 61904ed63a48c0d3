//! `yun list …`: the tables without the console, as aligned text, JSON or CSV.

use crate::app::columns::{self, Column};
use crate::backend::Capabilities;
use crate::cli::OutputFormat;
use crate::format;
use crate::i18n::Lang;
use crate::model::{Listing, ResourceKind};

/// Render a listing in `format`. JSON carries every field of the model, exactly (serde escapes
/// what JSON must); table and CSV carry the console's columns, with every control and bidi
/// character escaped visibly so a hostile name cannot drive the terminal.
pub fn render(
    listing: &Listing,
    output: OutputFormat,
    lang: Lang,
    caps: &Capabilities,
) -> Result<String, serde_json::Error> {
    if output == OutputFormat::Json {
        let mut text = match listing {
            Listing::Overview(o) => serde_json::to_string_pretty(o)?,
            Listing::Instances(l) => serde_json::to_string_pretty(l)?,
            Listing::Flavors(l) => serde_json::to_string_pretty(l)?,
            Listing::Images(l) => serde_json::to_string_pretty(l)?,
            Listing::Volumes { volumes, .. } => serde_json::to_string_pretty(volumes)?,
            Listing::Networks(l) => serde_json::to_string_pretty(l)?,
            Listing::SecurityGroups(l) => serde_json::to_string_pretty(l)?,
            Listing::FloatingIps(l) => serde_json::to_string_pretty(l)?,
            Listing::Ports(l) => serde_json::to_string_pretty(l)?,
        };
        text.push('\n');
        return Ok(text);
    }
    let (header, rows) = match listing {
        Listing::Overview(_) => (Vec::new(), Vec::new()),
        Listing::Instances(l) => cells(
            l,
            &columns::instances(caps.columns(ResourceKind::Instances)),
            lang,
        ),
        Listing::Flavors(l) => cells(
            l,
            &columns::flavors(caps.columns(ResourceKind::Flavors)),
            lang,
        ),
        Listing::Images(l) => cells(
            l,
            &columns::images(caps.columns(ResourceKind::Images)),
            lang,
        ),
        Listing::Volumes { volumes, .. } => cells(
            volumes,
            &columns::volumes(caps.columns(ResourceKind::Volumes)),
            lang,
        ),
        Listing::Networks(l) => cells(
            l,
            &columns::networks(caps.columns(ResourceKind::Networks)),
            lang,
        ),
        Listing::SecurityGroups(l) => cells(l, &columns::security_groups(), lang),
        Listing::FloatingIps(l) => cells(l, &columns::floating_ips(), lang),
        Listing::Ports(l) => cells(l, &columns::ports(), lang),
    };
    Ok(match output {
        OutputFormat::Csv => csv(&header, &rows),
        _ => table(&header, &rows),
    })
}

/// Plain rows (already text) in `output`: an aligned table or CSV. JSON is the caller's, from
/// its own typed records.
pub fn text_rows(header: &[String], rows: &[Vec<String>], output: OutputFormat) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| format::escape_controls(c).into_owned())
                .collect()
        })
        .collect();
    match output {
        OutputFormat::Csv => csv(header, &rows),
        _ => table(header, &rows),
    }
}

fn cells<T>(items: &[T], cols: &[Column<T>], lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let header = cols
        .iter()
        .map(|c| c.title.text(lang).to_string())
        .collect();
    let rows = items
        .iter()
        .map(|item| {
            cols.iter()
                .map(|c| format::escape_controls_owned((c.cell)(item, lang)))
                .collect()
        })
        .collect();
    (header, rows)
}

fn table(header: &[String], rows: &[Vec<String>]) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |cells: &[String]| {
        let text = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format::pad(c, *w))
            .collect::<Vec<_>>()
            .join("  ");
        format!("{}\n", text.trim_end())
    };
    let mut out = line(header);
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

/// One CSV cell. A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets
/// the `'` prefix spreadsheet-safe writers use. Controls were escaped already, so no cell starts
/// with a tab or a carriage return.
fn csv_field(field: &str) -> String {
    let field = format::escape_controls(field);
    let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{field}"))
    } else {
        field
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn csv(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Flavor, Listing};

    fn flavors() -> Listing {
        Listing::Flavors(vec![Flavor {
            id: "1".into(),
            name: "m1.tiny, \"small\"".into(),
            vcpus: 1,
            ram_bytes: 512 << 20,
            root_disk_bytes: 1 << 30,
            ephemeral_bytes: 0,
            swap_bytes: 0,
            public: None,
            fits: Some(true),
            extra_specs: Vec::new(),
        }])
    }

    #[test]
    fn csv_quotes_fields_with_commas_and_quotes() {
        let out = render(
            &flavors(),
            OutputFormat::Csv,
            Lang::En,
            &crate::backend::libvirt::capabilities("test:///default", false),
        )
        .unwrap();
        let mut lines = out.lines();
        assert_eq!(
            lines.next(),
            Some("ID,Name,vCPUs,RAM,Root disk,Ephemeral disk,Fits on host")
        );
        assert_eq!(
            lines.next(),
            Some("1,\"m1.tiny, \"\"small\"\"\",1,512 MiB,1 GiB,0 B,yes")
        );
    }

    fn hostile_flavor() -> Listing {
        let Listing::Flavors(mut list) = flavors() else {
            unreachable!()
        };
        list[0].id = "=HYPERLINK(\"http://x\")".into();
        list[0].name = "evil\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{202e}gpj.exe\u{9b}31m".into();
        Listing::Flavors(list)
    }

    fn raw_controls(text: &str) -> Vec<char> {
        text.chars()
            .filter(|c| {
                (c.is_control() && *c != '\n')
                    || ('\u{202a}'..='\u{202e}').contains(c)
                    || ('\u{2066}'..='\u{2069}').contains(c)
            })
            .collect()
    }

    #[test]
    fn table_and_csv_escape_controls_visibly_and_csv_defuses_formulas() {
        let table = render(
            &hostile_flavor(),
            OutputFormat::Table,
            Lang::En,
            &crate::backend::libvirt::capabilities("test:///default", false),
        )
        .unwrap();
        assert_eq!(raw_controls(&table), Vec::<char>::new(), "{table:?}");
        assert!(
            table.contains("evil\\e]0;PWNED\\x07\\e[2J\\u{202e}gpj.exe\\u{9b}31m"),
            "{table}"
        );
        let csv = render(
            &hostile_flavor(),
            OutputFormat::Csv,
            Lang::En,
            &crate::backend::libvirt::capabilities("test:///default", false),
        )
        .unwrap();
        assert_eq!(raw_controls(&csv), Vec::<char>::new(), "{csv:?}");
        let row = csv.lines().nth(1).unwrap();
        assert!(
            row.starts_with("\"'=HYPERLINK(\"\"http://x\"\")\",evil\\e]0;"),
            "{row}"
        );
    }

    #[test]
    fn csv_prefixes_every_formula_lead_character() {
        for lead in ["=1+1", "+1", "-1", "@SUM(A1)"] {
            assert_eq!(csv_field(lead), format!("'{lead}"));
        }
        assert_eq!(csv_field("\tx"), "\\tx");
        assert_eq!(csv_field("web-01"), "web-01");
    }

    #[test]
    fn json_keeps_the_exact_name() {
        let out = render(
            &hostile_flavor(),
            OutputFormat::Json,
            Lang::En,
            &crate::backend::libvirt::capabilities("test:///default", false),
        )
        .unwrap();
        assert!(!out.contains('\u{1b}'));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v[0]["name"],
            "evil\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{202e}gpj.exe\u{9b}31m"
        );
    }

    #[test]
    fn json_has_raw_numbers() {
        let out = render(
            &flavors(),
            OutputFormat::Json,
            Lang::En,
            &crate::backend::libvirt::capabilities("test:///default", false),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v[0]["ram_bytes"], 536_870_912);
    }

    #[test]
    fn table_aligns_by_display_width() {
        let out = table(
            &["Name".into(), "Status".into()],
            &[
                vec!["数据库".into(), "Active".into()],
                vec!["web".into(), "Paused".into()],
            ],
        );
        assert_eq!(out, "Name    Status\n数据库  Active\nweb     Paused\n");
    }
}
