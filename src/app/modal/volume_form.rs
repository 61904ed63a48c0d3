//! The volume-create form (创建云硬盘): name, pool (with its free space), capacity and format.
//! A name taken in the pool or a size the pool cannot hold is marked at its field before
//! anything is sent; the preview is the backend's own command for it.

use std::sync::Arc;

use crate::app::action::Action;
use crate::app::modal::form::{Choice, Field, FormSpec, FormSubmit, FormValues, not_empty};
use crate::backend::create::{VolumeFormat, volume_fits, volume_name_valid};
use crate::backend::{Capabilities, CreateSpec, VolumeSpec};
use crate::format;
use crate::i18n::{Lang, Msg};
use crate::model::{Pool, Volume};

/// The spec the values ask for (none while a field is empty or unreadable).
fn spec_of(values: &FormValues) -> Option<VolumeSpec> {
    let name = values.text("name").trim();
    let pool = values.choice("pool")?;
    let capacity_bytes = values.bytes("capacity")?;
    let format = VolumeFormat::parse(values.choice("format")?)?;
    (!name.is_empty()).then(|| VolumeSpec {
        name: name.to_string(),
        pool: pool.to_string(),
        capacity_bytes,
        format,
    })
}

/// The form over the pools and volumes of the last listings; `pool` is chosen first when given
/// (the pool of the selected row).
pub fn spec(
    pools: &[Pool],
    volumes: &[Volume],
    pool: Option<&str>,
    caps: &Capabilities,
    lang: Lang,
) -> FormSpec {
    let choices: Vec<Choice> = pools
        .iter()
        .filter(|p| p.active)
        .map(|p| {
            Choice::new(p.name.clone(), p.name.clone())
                .note(Msg::FormFree.fill(lang, &[("size", &format::bytes(p.available))]))
        })
        .collect();
    let mut pool_field = Field::select("pool", Msg::FormPool, choices);
    if let Some(pool) = pool {
        pool_field = pool_field.selected(pool);
    }
    let formats = VolumeFormat::ALL
        .iter()
        .map(|f| Choice::new(f.as_str(), f.as_str()))
        .collect();
    let fields = vec![
        Field::text("name", Msg::FormName, "").validate(not_empty),
        pool_field,
        Field::number("capacity", Msg::FormCapacity, "10", &["GiB", "MiB", "TiB"]),
        Field::select("format", Msg::FormFormat, formats),
    ];
    let pools = pools.to_vec();
    let taken: Vec<(String, String)> = volumes
        .iter()
        .filter_map(|v| Some((v.pool.clone()?, v.name.clone())))
        .collect();
    let commands = Arc::clone(&caps.commands);
    FormSpec::new(Msg::ActCreateVolume.text(lang), fields, |values| {
        spec_of(values).map(|v| FormSubmit::Action(Action::Create(CreateSpec::Volume(v))))
    })
    .validate_all(move |values, _| {
        let mut marks = Vec::new();
        let name = values.text("name").trim();
        let pool = values.choice("pool").unwrap_or_default();
        if !name.is_empty() {
            if let Err(why) = volume_name_valid(name) {
                marks.push(("name", why));
            } else if taken.iter().any(|(p, n)| p == pool && n == name) {
                marks.push((
                    "name",
                    format!("pool {pool} has a volume named {name} already"),
                ));
            }
        }
        if let (Some(p), Some(bytes)) = (
            pools.iter().find(|p| p.name == pool),
            values.bytes("capacity"),
        ) && let Err(why) = volume_fits(p, bytes)
        {
            marks.push(("capacity", why));
        }
        marks
    })
    .preview(move |values| {
        spec_of(values)
            .map(|v| commands.create(&CreateSpec::Volume(v)))
            .unwrap_or_default()
    })
}
