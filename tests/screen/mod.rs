//! A rendered screen as text: the characters, then one line per row listing its colour runs,
//! so a snapshot catches a theme regression as well as a layout one.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

fn color(c: Color) -> String {
    match c {
        Color::Reset => "-".into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("i{i}"),
        other => format!("{other:?}"),
    }
}

/// Screen text, then one line per screen row listing its style runs `start-end fg/bg[+mods]`.
pub fn screen(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut text = String::new();
    let mut styles = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut runs: Vec<(u16, u16, String)> = Vec::new();
        let mut skip = 0;
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            if skip > 0 {
                skip -= 1;
            } else {
                line.push_str(cell.symbol());
                skip = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
            }
            let mut style = format!("{}/{}", color(cell.fg), color(cell.bg));
            if cell.modifier.contains(Modifier::BOLD) {
                style.push_str("+b");
            }
            match runs.last_mut() {
                Some((_, end, s)) if *s == style => *end = x,
                _ => runs.push((x, x, style)),
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
        let runs: Vec<String> = runs
            .iter()
            .map(|(a, b, s)| format!("{a}-{b} {s}"))
            .collect();
        styles.push_str(&format!("{y:2}: {}\n", runs.join(" | ")));
    }
    format!("{text}\n{styles}")
}
