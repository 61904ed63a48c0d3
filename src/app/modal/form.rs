//! The form engine: labelled fields built from data (a [`FormSpec`]), each with its own
//! validation shown beside it, Tab/Shift-Tab between fields, Enter moving on and submitting
//! on the last field, Esc cancelling, and a preview of the equivalent command. A new form is a
//! `FormSpec` — its fields, validators, preview and submit function — and nothing here.

use std::fmt;
use std::sync::Arc;

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::action::{Action, Effect, InputEdit, ModalAction};
use crate::app::keymap::Context;
use crate::app::modal::ModalOutcome;
use crate::i18n::{Lang, Msg};

/// One entry of a select or multi-select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// What the submit function gets.
    pub value: String,
    /// What the list shows.
    pub label: String,
    /// Shown after the label, dimmed (free space of a pool, size of a flavor).
    pub note: String,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            note: String::new(),
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }
}

/// A field's current value, as validators, the preview and the submit function see it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    /// The number typed (`None` when it is not one), the text as typed and the unit chosen.
    Number {
        amount: Option<f64>,
        text: String,
        unit: String,
    },
    Secret(String),
    /// The highlighted choice's value (none when the filter matches nothing).
    Choice(Option<String>),
    Choices(Vec<String>),
    Toggle(bool),
    Path(String),
}

impl Value {
    /// The text of a text, secret or path field (a number's text; empty otherwise).
    pub fn as_text(&self) -> &str {
        match self {
            Self::Text(t) | Self::Secret(t) | Self::Path(t) => t,
            Self::Number { text, .. } => text,
            Self::Choice(c) => c.as_deref().unwrap_or(""),
            Self::Choices(_) | Self::Toggle(_) => "",
        }
    }
}

/// The values of every field, by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FormValues(pub Vec<(&'static str, Value)>);

impl FormValues {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The text of a text, secret or path field, trimmed only of nothing: as typed.
    pub fn text(&self, key: &str) -> &str {
        self.get(key).map_or("", Value::as_text)
    }

    /// A number field's amount and unit, when it holds a number.
    pub fn number(&self, key: &str) -> Option<(f64, &str)> {
        match self.get(key)? {
            Value::Number {
                amount: Some(a),
                unit,
                ..
            } => Some((*a, unit)),
            _ => None,
        }
    }

    /// A number field read as a size: its amount times its unit (`B`, `KiB`, `MiB`, `GiB`,
    /// `TiB`, or `KB`…`TB` in powers of ten); `None` when it is not a size.
    pub fn bytes(&self, key: &str) -> Option<u64> {
        let (amount, unit) = self.number(key)?;
        let scale: f64 = match unit {
            "B" | "" => 1.0,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            "GiB" => 1024.0 * 1024.0 * 1024.0,
            "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "TB" => 1e12,
            _ => return None,
        };
        let bytes = (amount * scale).round();
        // Negative or beyond u64 is not a size (`as` would saturate silently).
        (0.0..1.8e19).contains(&bytes).then_some(bytes as u64)
    }

    pub fn choice(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Choice(c) => c.as_deref(),
            _ => None,
        }
    }

    pub fn choices(&self, key: &str) -> &[String] {
        match self.get(key) {
            Some(Value::Choices(c)) => c,
            _ => &[],
        }
    }

    pub fn toggle(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Value::Toggle(true)))
    }

    /// The values with every secret replaced by dots, for anything shown on screen.
    pub fn masked(&self) -> Self {
        Self(
            self.0
                .iter()
                .map(|(k, v)| match v {
                    Value::Secret(_) => (*k, Value::Secret("••••••".into())),
                    other => (*k, other.clone()),
                })
                .collect(),
        )
    }
}

/// Checks one field's value; the error is shown beside the field.
pub type Validator = Arc<dyn Fn(&Value, Lang) -> Result<(), String> + Send + Sync>;
/// Checks the fields together; each error names the field it is shown beside.
pub type FormValidator =
    Arc<dyn Fn(&FormValues, Lang) -> Vec<(&'static str, String)> + Send + Sync>;
/// The equivalent command for the current values (secrets arrive masked).
pub type Preview = Arc<dyn Fn(&FormValues) -> String + Send + Sync>;
/// What the form asks for once every value is valid (`None`: nothing to send, stay open).
pub type SubmitFn = Arc<dyn Fn(&FormValues) -> Option<FormSubmit> + Send + Sync>;

/// What a submitted form asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum FormSubmit {
    Action(Action),
    Effect(Effect),
}

/// The kind of a field, with the state its editor keeps.
#[derive(Clone, Debug)]
pub enum FieldKind {
    Text(Input),
    Number {
        input: Input,
        units: Vec<String>,
        unit: usize,
    },
    /// Never drawn: shown as one dot per character.
    Secret(Input),
    /// One of a list; typing filters it.
    Select {
        choices: Vec<Choice>,
        filter: Input,
        /// Position among the choices the filter lets through.
        cursor: usize,
    },
    /// Any of a list; typing filters it, Space ticks the highlighted entry.
    MultiSelect {
        choices: Vec<Choice>,
        filter: Input,
        cursor: usize,
        ticked: Vec<bool>,
    },
    Toggle(bool),
    Path(Input),
}

/// A labelled field of a form.
#[derive(Clone)]
pub struct Field {
    pub key: &'static str,
    pub label: Msg,
    pub kind: FieldKind,
    validate: Option<Validator>,
    /// The error shown beside the field, when it has been edited or a submit was tried.
    pub error: Option<String>,
    touched: bool,
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field")
            .field("key", &self.key)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Field {
    fn new(key: &'static str, label: Msg, kind: FieldKind) -> Self {
        Self {
            key,
            label,
            kind,
            validate: None,
            error: None,
            touched: false,
        }
    }

    pub fn text(key: &'static str, label: Msg, initial: &str) -> Self {
        Self::new(key, label, FieldKind::Text(Input::new(initial.into())))
    }

    /// A number with a unit chosen among `units` (the first is the default; none: no unit).
    pub fn number(key: &'static str, label: Msg, initial: &str, units: &[&str]) -> Self {
        let units = units.iter().map(|u| (*u).to_string()).collect();
        Self::new(
            key,
            label,
            FieldKind::Number {
                input: Input::new(initial.into()),
                units,
                unit: 0,
            },
        )
    }

    pub fn secret(key: &'static str, label: Msg) -> Self {
        Self::new(key, label, FieldKind::Secret(Input::default()))
    }

    pub fn select(key: &'static str, label: Msg, choices: Vec<Choice>) -> Self {
        Self::new(
            key,
            label,
            FieldKind::Select {
                choices,
                filter: Input::default(),
                cursor: 0,
            },
        )
    }

    pub fn multi_select(key: &'static str, label: Msg, choices: Vec<Choice>) -> Self {
        let ticked = vec![false; choices.len()];
        Self::new(
            key,
            label,
            FieldKind::MultiSelect {
                choices,
                filter: Input::default(),
                cursor: 0,
                ticked,
            },
        )
    }

    pub fn toggle(key: &'static str, label: Msg, on: bool) -> Self {
        Self::new(key, label, FieldKind::Toggle(on))
    }

    pub fn path(key: &'static str, label: Msg, initial: &str) -> Self {
        Self::new(key, label, FieldKind::Path(Input::new(initial.into())))
    }

    /// Check the value with `validate` each time it changes.
    pub fn validate(
        mut self,
        validate: impl Fn(&Value, Lang) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.validate = Some(Arc::new(validate));
        self
    }

    /// A select starting on the choice whose value is `value`.
    pub fn selected(mut self, value: &str) -> Self {
        if let FieldKind::Select {
            choices, cursor, ..
        } = &mut self.kind
            && let Some(pos) = choices.iter().position(|c| c.value == value)
        {
            *cursor = pos;
        }
        self
    }

    /// A number field starting on the unit `unit`.
    pub fn unit(mut self, unit: &str) -> Self {
        if let FieldKind::Number { units, unit: u, .. } = &mut self.kind
            && let Some(pos) = units.iter().position(|x| x == unit)
        {
            *u = pos;
        }
        self
    }

    /// Positions (in `choices`) of the entries the filter lets through.
    pub fn filtered(choices: &[Choice], filter: &str) -> Vec<usize> {
        let needle = filter.trim().to_lowercase();
        (0..choices.len())
            .filter(|&i| {
                needle.is_empty()
                    || choices[i].label.to_lowercase().contains(&needle)
                    || choices[i].value.to_lowercase().contains(&needle)
            })
            .collect()
    }

    pub fn value(&self) -> Value {
        match &self.kind {
            FieldKind::Text(i) => Value::Text(i.value().to_string()),
            FieldKind::Secret(i) => Value::Secret(i.value().to_string()),
            FieldKind::Path(i) => Value::Path(i.value().to_string()),
            FieldKind::Number { input, units, unit } => Value::Number {
                amount: input
                    .value()
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite()),
                text: input.value().to_string(),
                unit: units.get(*unit).cloned().unwrap_or_default(),
            },
            FieldKind::Select {
                choices,
                filter,
                cursor,
            } => Value::Choice(
                Self::filtered(choices, filter.value())
                    .get(*cursor)
                    .map(|&i| choices[i].value.clone()),
            ),
            FieldKind::MultiSelect {
                choices, ticked, ..
            } => Value::Choices(
                choices
                    .iter()
                    .zip(ticked)
                    .filter(|(_, t)| **t)
                    .map(|(c, _)| c.value.clone())
                    .collect(),
            ),
            FieldKind::Toggle(on) => Value::Toggle(*on),
        }
    }

    /// Whether the field chooses (its ↑/↓ and Space go to it, not to a text editor).
    pub fn chooses(&self) -> bool {
        matches!(
            self.kind,
            FieldKind::Select { .. }
                | FieldKind::MultiSelect { .. }
                | FieldKind::Toggle(_)
                | FieldKind::Number { .. }
        )
    }

    /// The field's own check: a number must be one; then its validator.
    fn check(&self, lang: Lang) -> Option<String> {
        let value = self.value();
        match &value {
            Value::Number { amount: None, .. } => {
                return Some(Msg::FormNotANumber.text(lang).into());
            }
            Value::Choice(None) => return Some(Msg::FormNoChoice.text(lang).into()),
            _ => {}
        }
        self.validate.as_ref().and_then(|v| v(&value, lang).err())
    }

    fn edit(&mut self, edit: &InputEdit) {
        let event = crossterm::event::Event::Key(edit.0);
        match &mut self.kind {
            FieldKind::Text(i) | FieldKind::Secret(i) | FieldKind::Path(i) => {
                i.handle_event(&event);
            }
            FieldKind::Number { input, .. } => {
                input.handle_event(&event);
            }
            FieldKind::Select { filter, cursor, .. }
            | FieldKind::MultiSelect { filter, cursor, .. } => {
                filter.handle_event(&event);
                *cursor = 0;
            }
            FieldKind::Toggle(_) => {}
        }
    }

    fn step(&mut self, delta: isize) {
        match &mut self.kind {
            FieldKind::Select {
                choices,
                filter,
                cursor,
            }
            | FieldKind::MultiSelect {
                choices,
                filter,
                cursor,
                ..
            } => {
                let last = Self::filtered(choices, filter.value())
                    .len()
                    .saturating_sub(1);
                *cursor = cursor.saturating_add_signed(delta).min(last);
            }
            FieldKind::Number { units, unit, .. } if !units.is_empty() => {
                let n = units.len().cast_signed();
                *unit = usize::try_from((unit.cast_signed() + delta).rem_euclid(n)).unwrap_or(0);
            }
            _ => {}
        }
    }

    fn tick(&mut self) {
        match &mut self.kind {
            FieldKind::Toggle(on) => *on = !*on,
            FieldKind::MultiSelect {
                choices,
                filter,
                cursor,
                ticked,
            } => {
                if let Some(&i) = Self::filtered(choices, filter.value()).get(*cursor) {
                    ticked[i] = !ticked[i];
                }
            }
            _ => {}
        }
    }
}

/// Everything a form is made of.
pub struct FormSpec {
    pub title: String,
    /// A line above the fields (the question), if any.
    pub intro: Option<String>,
    pub fields: Vec<Field>,
    pub validate: Option<FormValidator>,
    pub preview: Option<Preview>,
    pub submit: SubmitFn,
}

impl FormSpec {
    pub fn new(
        title: impl Into<String>,
        fields: Vec<Field>,
        submit: impl Fn(&FormValues) -> Option<FormSubmit> + Send + Sync + 'static,
    ) -> Self {
        Self {
            title: title.into(),
            intro: None,
            fields,
            validate: None,
            preview: None,
            submit: Arc::new(submit),
        }
    }

    pub fn intro(mut self, intro: impl Into<String>) -> Self {
        self.intro = Some(intro.into());
        self
    }

    /// Check the fields together (errors are shown beside the field they name).
    pub fn validate_all(
        mut self,
        validate: impl Fn(&FormValues, Lang) -> Vec<(&'static str, String)> + Send + Sync + 'static,
    ) -> Self {
        self.validate = Some(Arc::new(validate));
        self
    }

    /// Show the equivalent command for the current values.
    pub fn preview(
        mut self,
        preview: impl Fn(&FormValues) -> String + Send + Sync + 'static,
    ) -> Self {
        self.preview = Some(Arc::new(preview));
        self
    }
}

/// An open form: its spec, which field has the focus, and the errors shown.
pub struct Form {
    pub title: String,
    pub intro: Option<String>,
    pub fields: Vec<Field>,
    pub focus: usize,
    lang: Lang,
    validate: Option<FormValidator>,
    preview: Option<Preview>,
    submit: SubmitFn,
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("title", &self.title)
            .field("fields", &self.fields)
            .field("focus", &self.focus)
            .finish_non_exhaustive()
    }
}

impl Form {
    pub fn open(spec: FormSpec, lang: Lang) -> Self {
        Self {
            title: spec.title,
            intro: spec.intro,
            fields: spec.fields,
            focus: 0,
            lang,
            validate: spec.validate,
            preview: spec.preview,
            submit: spec.submit,
        }
    }

    pub fn values(&self) -> FormValues {
        FormValues(self.fields.iter().map(|f| (f.key, f.value())).collect())
    }

    /// The equivalent command for the current values, secrets masked.
    pub fn preview_line(&self) -> Option<String> {
        self.preview.as_ref().map(|p| p(&self.values().masked()))
    }

    pub fn focused(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    pub fn contexts(&self) -> Vec<Context> {
        let mut ctx = Vec::with_capacity(3);
        if self.focused().is_some_and(Field::chooses) {
            ctx.push(Context::FormChoice);
        }
        ctx.extend([Context::Form, Context::Modal]);
        ctx
    }

    /// Whether keys no binding takes are typed into the focused field.
    pub fn takes_text(&self) -> bool {
        self.focused()
            .is_some_and(|f| !matches!(f.kind, FieldKind::Toggle(_)))
    }

    /// Recompute the errors of the fields that show them (every field with `all`).
    fn revalidate(&mut self, all: bool) {
        let lang = self.lang;
        for field in &mut self.fields {
            if all {
                field.touched = true;
            }
            field.error = if field.touched {
                field.check(lang)
            } else {
                None
            };
        }
        if let Some(validate) = &self.validate {
            let values = self.values();
            for (key, error) in validate(&values, lang) {
                if let Some(field) = self.fields.iter_mut().find(|f| f.key == key)
                    && field.touched
                    && field.error.is_none()
                {
                    field.error = Some(error);
                }
            }
        }
    }

    fn move_focus(&mut self, delta: isize) {
        if let Some(field) = self.fields.get_mut(self.focus) {
            field.touched = true;
        }
        let n = self.fields.len().max(1).cast_signed();
        self.focus = usize::try_from((self.focus.cast_signed() + delta).rem_euclid(n)).unwrap_or(0);
        self.revalidate(false);
    }

    pub fn on_action(&mut self, action: &Action) -> ModalOutcome {
        match action {
            Action::Modal(ModalAction::Cancel) => return ModalOutcome::Close,
            Action::Modal(ModalAction::Next) => self.move_focus(1),
            Action::Modal(ModalAction::Prev) => self.move_focus(-1),
            Action::Modal(ModalAction::Up) => self.edit_focused(|f| f.step(-1)),
            Action::Modal(ModalAction::Down) => self.edit_focused(|f| f.step(1)),
            Action::Modal(ModalAction::Toggle) => self.edit_focused(Field::tick),
            Action::Input(edit) => self.edit_focused(|f| f.edit(edit)),
            Action::Modal(ModalAction::Submit) => {
                if self.focus + 1 < self.fields.len() {
                    self.move_focus(1);
                } else {
                    return self.try_submit();
                }
            }
            _ => {}
        }
        ModalOutcome::Stay
    }

    fn edit_focused(&mut self, edit: impl FnOnce(&mut Field)) {
        if let Some(field) = self.fields.get_mut(self.focus) {
            edit(field);
            field.touched = true;
        }
        self.revalidate(false);
    }

    /// Submit when every field is valid; otherwise show every error and focus the first.
    fn try_submit(&mut self) -> ModalOutcome {
        self.revalidate(true);
        if let Some(bad) = self.fields.iter().position(|f| f.error.is_some()) {
            self.focus = bad;
            return ModalOutcome::Stay;
        }
        match (self.submit)(&self.values()) {
            Some(FormSubmit::Action(action)) => ModalOutcome::Action(action),
            Some(FormSubmit::Effect(effect)) => ModalOutcome::Effects(vec![effect]),
            None => ModalOutcome::Stay,
        }
    }
}

/// A validator refusing an empty (or blank) text.
pub fn not_empty(value: &Value, lang: Lang) -> Result<(), String> {
    if value.as_text().trim().is_empty() {
        Err(Msg::FormRequired.text(lang).to_string())
    } else {
        Ok(())
    }
}

/// A validator for a path field: the file must exist and be a regular file. (Forms run this
/// on each key, so it reads only the file's metadata.)
pub fn existing_file(value: &Value, lang: Lang) -> Result<(), String> {
    let path = value.as_text().trim();
    if path.is_empty() {
        return Err(Msg::FormRequired.text(lang).to_string());
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        _ => Err(Msg::FormNoSuchFile.text(lang).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn typed(form: &mut Form, text: &str) {
        for c in text.chars() {
            let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            form.on_action(&Action::Input(InputEdit(key)));
        }
    }

    fn m(a: ModalAction) -> Action {
        Action::Modal(a)
    }

    fn sample() -> Form {
        let spec = FormSpec::new(
            "Sample",
            vec![
                Field::text("name", Msg::FormName, "").validate(not_empty),
                Field::select(
                    "pool",
                    Msg::FormName,
                    vec![
                        Choice::new("default", "default").note("10 GiB free"),
                        Choice::new("fast", "fast-ssd"),
                        Choice::new("slow", "archive"),
                    ],
                ),
                Field::number("size", Msg::FormName, "1", &["GiB", "MiB"]),
                Field::multi_select(
                    "tags",
                    Msg::FormName,
                    vec![Choice::new("a", "alpha"), Choice::new("b", "beta")],
                ),
                Field::toggle("start", Msg::FormName, false),
                Field::secret("password", Msg::FormName),
            ],
            |v| {
                Some(FormSubmit::Action(Action::Perform {
                    id: v.text("name").to_string(),
                    action: crate::backend::InstanceAction::Rename {
                        name: format!(
                            "{}|{}|{:?}|{:?}|{}|{}",
                            v.text("name"),
                            v.choice("pool").unwrap_or("-"),
                            v.number("size"),
                            v.choices("tags"),
                            v.toggle("start"),
                            v.text("password"),
                        ),
                    },
                }))
            },
        )
        .validate_all(|v, _| {
            if v.choice("pool") == Some("slow") && v.toggle("start") {
                vec![("start", "not on the archive pool".to_string())]
            } else {
                Vec::new()
            }
        })
        .preview(|v| {
            format!(
                "create {} --password {}",
                v.text("name"),
                v.text("password")
            )
        });
        Form::open(spec, Lang::En)
    }

    #[test]
    fn tab_and_shift_tab_move_between_fields_and_wrap() {
        let mut form = sample();
        assert_eq!(form.focus, 0);
        form.on_action(&m(ModalAction::Next));
        assert_eq!(form.focus, 1);
        form.on_action(&m(ModalAction::Prev));
        form.on_action(&m(ModalAction::Prev));
        assert_eq!(form.focus, form.fields.len() - 1);
        form.on_action(&m(ModalAction::Next));
        assert_eq!(form.focus, 0);
    }

    #[test]
    fn enter_moves_on_and_an_invalid_field_blocks_the_submit() {
        let mut form = sample();
        // Enter on every field but the last moves on, even past an empty name.
        for expected in 1..form.fields.len() {
            assert_eq!(form.on_action(&m(ModalAction::Submit)), ModalOutcome::Stay);
            assert_eq!(form.focus, expected);
        }
        // On the last field it submits, but the name is empty: refused, focus on the name.
        assert_eq!(form.on_action(&m(ModalAction::Submit)), ModalOutcome::Stay);
        assert_eq!(form.focus, 0);
        assert_eq!(form.fields[0].error.as_deref(), Some("required"));
        typed(&mut form, "vol1");
        assert_eq!(
            form.fields[0].error, None,
            "the error goes as soon as it is fixed"
        );
        form.focus = form.fields.len() - 1;
        typed(&mut form, "hunter2");
        match form.on_action(&m(ModalAction::Submit)) {
            ModalOutcome::Action(Action::Perform { action, .. }) => assert_eq!(
                action,
                crate::backend::InstanceAction::Rename {
                    name: "vol1|default|Some((1.0, \"GiB\"))|[]|false|hunter2".into()
                }
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_number_must_be_one_and_its_unit_cycles() {
        let mut form = sample();
        form.focus = 2;
        typed(&mut form, "x");
        assert_eq!(form.fields[2].error.as_deref(), Some("not a number"));
        form.on_action(&m(ModalAction::Down));
        assert_eq!(
            form.values().get("size"),
            Some(&Value::Number {
                amount: None,
                text: "1x".into(),
                unit: "MiB".into()
            })
        );
        form.on_action(&m(ModalAction::Down));
        assert!(
            matches!(form.values().get("size"), Some(Value::Number { unit, .. }) if unit == "GiB")
        );
    }

    #[test]
    fn typing_filters_a_select_and_arrows_move_within_the_matches() {
        let mut form = sample();
        form.focus = 1;
        assert_eq!(form.values().choice("pool"), Some("default"));
        form.on_action(&m(ModalAction::Down));
        assert_eq!(form.values().choice("pool"), Some("fast"));
        typed(&mut form, "ar");
        // "ar" matches only "archive" (label) — the cursor starts on the first match.
        assert_eq!(form.values().choice("pool"), Some("slow"));
        form.on_action(&m(ModalAction::Down));
        assert_eq!(form.values().choice("pool"), Some("slow"), "one match only");
        typed(&mut form, "zzz");
        assert_eq!(form.values().choice("pool"), None);
        assert_eq!(form.fields[1].error.as_deref(), Some("nothing matches"));
    }

    #[test]
    fn space_ticks_multi_select_entries_and_toggles() {
        let mut form = sample();
        form.focus = 3;
        form.on_action(&m(ModalAction::Toggle));
        form.on_action(&m(ModalAction::Down));
        form.on_action(&m(ModalAction::Toggle));
        assert_eq!(form.values().choices("tags"), ["a", "b"]);
        form.on_action(&m(ModalAction::Toggle));
        assert_eq!(form.values().choices("tags"), ["a"]);
        typed(&mut form, "bet");
        form.on_action(&m(ModalAction::Toggle));
        assert_eq!(form.values().choices("tags"), ["a", "b"]);
        form.focus = 4;
        form.on_action(&m(ModalAction::Toggle));
        assert!(form.values().toggle("start"));
    }

    #[test]
    fn the_form_validator_marks_the_field_it_names() {
        let mut form = sample();
        form.focus = 1;
        typed(&mut form, "arch");
        form.focus = 4;
        form.on_action(&m(ModalAction::Toggle));
        assert_eq!(
            form.fields[4].error.as_deref(),
            Some("not on the archive pool")
        );
    }

    #[test]
    fn a_number_with_a_unit_reads_as_bytes() {
        let v = |text: &str, unit: &str| {
            FormValues(vec![(
                "size",
                Value::Number {
                    amount: text.parse().ok(),
                    text: text.into(),
                    unit: unit.into(),
                },
            )])
            .bytes("size")
        };
        assert_eq!(v("1.5", "GiB"), Some(1_610_612_736));
        assert_eq!(v("20", "MiB"), Some(20 * 1024 * 1024));
        assert_eq!(v("2", "GB"), Some(2_000_000_000));
        assert_eq!(v("-1", "GiB"), None);
        assert_eq!(v("1", "parsecs"), None);
        assert_eq!(v("x", "GiB"), None);
    }

    #[test]
    fn a_path_must_name_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("seed.iso");
        std::fs::write(&file, b"x").unwrap();
        let check = |p: &str| existing_file(&Value::Path(p.into()), Lang::En);
        assert_eq!(check(file.to_str().unwrap()), Ok(()));
        assert_eq!(
            check(dir.path().to_str().unwrap()),
            Err("no such file".into())
        );
        assert_eq!(check("/nonexistent/x"), Err("no such file".into()));
        assert_eq!(check(" "), Err("required".into()));
    }

    #[test]
    fn the_preview_never_holds_the_secret() {
        let mut form = sample();
        typed(&mut form, "db");
        form.focus = 5;
        typed(&mut form, "hunter2");
        let preview = form.preview_line().unwrap();
        assert_eq!(preview, "create db --password ••••••");
        assert_eq!(form.values().text("password"), "hunter2");
    }
}
