//! The forms that answer an instance action: a snapshot's name, a new name, metadata. Each is
//! a [`FormSpec`]: its field, its check, the equivalent command and the action it submits.

use crate::app::action::{Action, PromptKind};
use crate::app::metadata::parse_metadata;
use crate::app::modal::form::{Field, FormSpec, FormSubmit, FormValues, Value, not_empty};
use crate::backend::{Capabilities, InstanceAction};
use crate::i18n::{Lang, Msg};

/// The action a form's values ask for (none while they are not valid).
fn action_of(kind: PromptKind, values: &FormValues) -> Option<InstanceAction> {
    let text = values.text(FIELD).trim();
    if text.is_empty() {
        return None;
    }
    Some(match kind {
        PromptKind::Snapshot => InstanceAction::Snapshot { name: text.into() },
        PromptKind::Rename => InstanceAction::Rename { name: text.into() },
        PromptKind::Metadata => InstanceAction::SetMetadata {
            items: parse_metadata(text).ok()?,
        },
    })
}

const FIELD: &str = "value";

fn metadata_valid(value: &Value, lang: Lang) -> Result<(), String> {
    match parse_metadata(value.as_text()) {
        Ok(_) => Ok(()),
        Err(piece) if piece.is_empty() => Err(Msg::FormRequired.text(lang).to_string()),
        Err(piece) => Err(Msg::FormMetadataBad.fill(lang, &[("piece", &piece)])),
    }
}

/// The form for `kind` on the instance `id` named `name`.
pub fn spec(kind: PromptKind, id: &str, name: &str, caps: &Capabilities, lang: Lang) -> FormSpec {
    let (question, label, initial) = match kind {
        PromptKind::Snapshot => (
            Msg::PromptSnapshot,
            Msg::FormSnapshotName,
            format!("{name}-snapshot"),
        ),
        PromptKind::Rename => (Msg::PromptRename, Msg::FormNewName, name.to_string()),
        PromptKind::Metadata => (Msg::PromptMetadata, Msg::FormMetadata, String::new()),
    };
    let title = match kind {
        PromptKind::Snapshot => Msg::ActSnapshot,
        PromptKind::Rename => Msg::ActRename,
        PromptKind::Metadata => Msg::ActMetadata,
    };
    let field = Field::text(FIELD, label, &initial);
    let field = match kind {
        PromptKind::Metadata => field.validate(metadata_valid),
        PromptKind::Snapshot | PromptKind::Rename => field.validate(not_empty),
    };
    let id = id.to_string();
    let shown_name = name.to_string();
    let commands = std::sync::Arc::clone(&caps.commands);
    let preview_id = id.clone();
    FormSpec::new(title.text(lang), vec![field], move |values| {
        action_of(kind, values).map(|action| {
            FormSubmit::Action(Action::Perform {
                id: id.clone(),
                action,
            })
        })
    })
    .intro(question.fill(lang, &[("name", name)]))
    .preview(move |values| {
        action_of(kind, values)
            .map(|action| commands.instance_action(&preview_id, &shown_name, &action))
            .unwrap_or_default()
    })
}
