//! Instance metadata as the user types it: `key=value` pairs separated by commas or spaces.

/// The pairs of `text`, or the first piece that is not one (no `=`, or an empty key).
pub fn parse_metadata(text: &str) -> Result<Vec<(String, String)>, String> {
    let pieces: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    if pieces.is_empty() {
        return Err(String::new());
    }
    pieces
        .into_iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(p.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_metadata;

    #[test]
    fn pairs_are_split_by_commas_or_spaces() {
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            parse_metadata("role=web, tier=1"),
            Ok(pairs(&[("role", "web"), ("tier", "1")]))
        );
        assert_eq!(
            parse_metadata("role=web tier="),
            Ok(pairs(&[("role", "web"), ("tier", "")]))
        );
        assert_eq!(parse_metadata("role=web, oops"), Err("oops".into()));
        assert_eq!(parse_metadata("=x"), Err("=x".into()));
        assert_eq!(parse_metadata(" , "), Err(String::new()));
    }
}
