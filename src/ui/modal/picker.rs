//! The list of flavors to resize to.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::Dialog;
use crate::app::modal::FlavorPicker;
use crate::app::state::AppState;
use crate::format;
use crate::i18n::Msg;
use crate::theme::Theme;

pub fn dialog(modal: &FlavorPicker, state: &AppState, theme: &Theme) -> Dialog {
    let lang = state.lang;
    let (name, selected) = (&modal.name, &modal.selected);
    let mut lines = Vec::new();
    if state.data.flavors.is_empty() {
        lines.push(Line::from(Msg::DetailLoading.text(lang)));
    }
    for (i, f) in state.data.flavors.iter().enumerate() {
        let text = format!(
            "{:<16} {:>3} vCPU  {:>9} RAM  {:>8} disk",
            f.name,
            f.vcpus,
            format::bytes(f.ram_bytes),
            format::bytes(f.root_disk_bytes)
        );
        let style = if i == *selected {
            theme.selection()
        } else {
            Style::default().fg(theme.fg)
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        Msg::PickFlavorHint.fill(
            lang,
            &[
                (
                    "move",
                    &super::keys_of(state, &["picker.down", "picker.up"]),
                ),
                ("choose", &super::keys_of(state, &["picker.choose"])),
                (
                    "cancel",
                    &super::keys_of(state, &["picker.close", "modal.cancel"]),
                ),
            ],
        ),
        theme.muted(),
    )));
    Dialog {
        title: Msg::PickFlavorTitle.fill(lang, &[("name", name)]),
        lines,
        width: 64,
        scroll: 0,
        cursor: None,
    }
}
