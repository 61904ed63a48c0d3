//! `:audit`: the audit log in the console, newest first, narrowed by typing (any field: name,
//! action, user, connection, command, result).

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::action::{Action, ModalAction};
use crate::app::modal::ModalOutcome;
use crate::audit::{AuditRecord, Outcome};

/// What the log holds, once the worker has read it.
#[derive(Clone, Debug, PartialEq)]
pub enum AuditRecords {
    Loading,
    Ready(Vec<AuditRecord>),
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct AuditView {
    pub records: AuditRecords,
    pub filter: Input,
    /// The first record shown, among the filtered ones.
    pub scroll: usize,
}

impl Default for AuditView {
    fn default() -> Self {
        Self {
            records: AuditRecords::Loading,
            filter: Input::default(),
            scroll: 0,
        }
    }
}

impl AuditView {
    /// The records the filter keeps, newest first.
    pub fn shown(&self) -> Vec<&AuditRecord> {
        let AuditRecords::Ready(records) = &self.records else {
            return Vec::new();
        };
        let needle = self.filter.value().to_lowercase();
        records
            .iter()
            .filter(|r| needle.is_empty() || matches_filter(r, &needle))
            .collect()
    }

    pub fn on_action(&mut self, action: &Action) -> ModalOutcome {
        match action {
            Action::Modal(ModalAction::Down) => {
                let last = self.shown().len().saturating_sub(1);
                self.scroll = (self.scroll + 1).min(last);
            }
            Action::Modal(ModalAction::Up) => self.scroll = self.scroll.saturating_sub(1),
            Action::Modal(ModalAction::Cancel) => return ModalOutcome::Close,
            Action::Input(edit) => {
                self.filter
                    .handle_event(&crossterm::event::Event::Key(edit.0));
                self.scroll = 0;
            }
            _ => {}
        }
        ModalOutcome::Stay
    }
}

fn matches_filter(r: &AuditRecord, needle: &str) -> bool {
    let result = match r.result {
        Outcome::Ok => "ok",
        Outcome::Error => "error",
    };
    [
        r.time.as_str(),
        &r.user,
        &r.connection,
        &r.kind,
        &r.id,
        &r.name,
        &r.action,
        &r.command,
        result,
        r.error.as_deref().unwrap_or(""),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::InputEdit;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn record(name: &str, action: &str) -> AuditRecord {
        AuditRecord {
            time: "2026-12-02T00:00:00Z".into(),
            user: "root".into(),
            connection: "test:///default".into(),
            kind: "instance".into(),
            id: name.into(),
            name: name.into(),
            action: action.into(),
            params: serde_json::Map::new(),
            command: format!("tool {action} {name}"),
            result: Outcome::Ok,
            error: None,
            duration_ms: 3,
            batch: None,
        }
    }

    #[test]
    fn typing_narrows_the_records_and_scrolling_stays_inside_them() {
        let mut view = AuditView {
            records: AuditRecords::Ready(vec![
                record("web-01", "pause"),
                record("db-01", "reboot"),
                record("web-02", "pause"),
            ]),
            ..AuditView::default()
        };
        for c in "PAUSE".chars() {
            let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT);
            view.on_action(&Action::Input(InputEdit(key)));
        }
        let names: Vec<&str> = view.shown().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["web-01", "web-02"]);
        for _ in 0..5 {
            view.on_action(&Action::Modal(ModalAction::Down));
        }
        assert_eq!(view.scroll, 1);
        assert_eq!(
            view.on_action(&Action::Modal(ModalAction::Cancel)),
            ModalOutcome::Close
        );
    }
}
