//! The console view of an instance: its serial console (Enter attaches), its graphics
//! endpoints, and a browser console URL with the access token masked until asked.

use crate::app::action::{Action, Effect, ModalAction};
use crate::app::modal::{Behind, ModalOutcome};
use crate::i18n::Msg;
use crate::model::{InstanceDetail, InstanceStatus};

/// The browser console URL of the console view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsoleUrl {
    /// The backend has none to ask for (it lists its graphics in the detail).
    NotAsked,
    Loading,
    Ready(String),
    /// Not available, with the reason (read-only mode, the backend's answer).
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct ConsoleView {
    pub id: String,
    pub name: String,
    pub detail: Box<Option<InstanceDetail>>,
    /// The browser console URL (noVNC), asked for when the view opens.
    pub url: ConsoleUrl,
    /// The URL's access token is shown (masked until the user asks).
    pub revealed: bool,
}

impl ConsoleView {
    pub fn on_action(&mut self, action: &Action, behind: &Behind<'_>) -> ModalOutcome {
        match action {
            Action::RevealConsoleToken => {
                self.revealed = !self.revealed;
                ModalOutcome::Stay
            }
            Action::Modal(ModalAction::Submit) => {
                let running = behind
                    .instances
                    .iter()
                    .any(|i| i.name == self.name && i.status == InstanceStatus::Active);
                // Built as an argument list from the domain's UUID, never split from the
                // displayed line: a name may hold spaces or start with `-`.
                let command = (*self.detail)
                    .as_ref()
                    .filter(|d| !d.serials.is_empty())
                    .and_then(|d| behind.caps.commands.console_argv(&d.id));
                match command {
                    Some(argv) if running => {
                        ModalOutcome::Effects(vec![Effect::RunInteractive(argv)])
                    }
                    _ => ModalOutcome::Warn(Msg::ConsoleNotRunning.text(behind.lang).to_string()),
                }
            }
            Action::Modal(ModalAction::Cancel) => ModalOutcome::Close,
            _ => ModalOutcome::Stay,
        }
    }
}

/// The URL with its access token (`token=…`, else the whole query) replaced by `••••••`.
pub fn mask_console_token(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let mut masked = false;
    let parts: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("token") || k.ends_with("token") => {
                masked = true;
                format!("{k}=••••••")
            }
            _ => p.to_string(),
        })
        .collect();
    if masked {
        format!("{base}?{}", parts.join("&"))
    } else {
        format!("{base}?••••••")
    }
}

#[cfg(test)]
mod tests {
    use super::mask_console_token;

    #[test]
    fn console_tokens_are_masked() {
        assert_eq!(
            mask_console_token("http://h:6080/vnc_lite.html?token=abc&title=x"),
            "http://h:6080/vnc_lite.html?token=••••••&title=x"
        );
        // Older consoles put the token inside an encoded `path`: the whole query goes.
        assert_eq!(
            mask_console_token("http://h:6080/vnc_auto.html?path=%3Ftoken%3Dabc"),
            "http://h:6080/vnc_auto.html?••••••"
        );
        assert_eq!(mask_console_token("http://h/plain"), "http://h/plain");
    }
}
