//! Lenient field decoders: numbers that arrive as strings, `""` meaning absent, nulls anywhere.

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;

/// A string, number or bool as a string; `""` and null are `None`. Objects/arrays are an error.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(de::Error::custom(format!("expected a string, got {other}"))),
    }
}

/// A non-negative number, or a string holding one; `""` and null are `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_u64(s.trim())
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("expected a number, got {s:?}"))),
        Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| *f >= 0.0 && f.is_finite())
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("expected a non-negative number, got {n}"))),
        other => Err(de::Error::custom(format!("expected a number, got {other}"))),
    }
}

/// A signed number (quotas: `-1` = unlimited), or a string holding one.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected a number, got {s:?}"))),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| de::Error::custom("number out of range")),
        other => Err(de::Error::custom(format!("expected a number, got {other}"))),
    }
}

/// A bool, or `"true"`/`"false"`/`"True"`/`"1"`…; `""` and null are `None`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::Number(n) => Ok(Some(n.as_f64().is_some_and(|f| f != 0.0))),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "true" | "yes" | "1" | "on" => Ok(Some(true)),
            "false" | "no" | "0" | "off" => Ok(Some(false)),
            _ => Err(de::Error::custom(format!("expected a boolean, got {s:?}"))),
        },
        other => Err(de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

fn parse_u64(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().or_else(|| {
        s.parse::<f64>()
            .ok()
            .filter(|f| *f >= 0.0 && f.is_finite())
            .map(|f| f as u64)
    })
}

/// Decode each row on its own; rows that do not decode are dropped with a warning and counted.
/// A row is an object: serde would also read a struct from an array, field by field in
/// declaration order, which turns `[2]` into a row with the id `2`.
pub fn rows<T: serde::de::DeserializeOwned>(
    what: &str,
    values: Vec<Value>,
    skipped: &mut usize,
) -> Vec<T> {
    values
        .into_iter()
        .filter_map(|v| {
            if !v.is_object() {
                tracing::warn!("skipping a {what} row that is not an object");
                *skipped += 1;
                return None;
            }
            let id = v
                .get("id")
                .map(|i| i.to_string())
                .unwrap_or_else(|| "?".into());
            match serde_json::from_value::<T>(v) {
                Ok(t) => Some(t),
                Err(e) => {
                    tracing::warn!("skipping a {what} row (id {id}): {e}");
                    *skipped += 1;
                    None
                }
            }
        })
        .collect()
}

/// A map of string values (metadata, extra specs); non-string values are shown as JSON.
pub fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
