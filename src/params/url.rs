//! The URL form of a view's state, generated from its [`Described::FIELDS`]: `encode` writes
//! every field (`key=value`, percent-encoded by `form_urlencoded`), `decode` reads a query
//! string back. Reading never fails: an unknown key is ignored, an unusable value keeps the
//! default, an out-of-range value is clamped, each with a [`Note`].

use super::notes::Note;
use super::{Described, Field, Kind, Value};
use crate::storage::TableStore;

/// The query string (without `?`) of a state: every field in [`Described::FIELDS`] order but
/// those [`Value::Unset`].
pub fn encode<S: Described>(state: &S) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for field in S::FIELDS {
        let value = (field.get)(state);
        if value == Value::Unset {
            continue;
        }
        out.append_pair(field.key, &value.to_url_text());
    }
    out.finish()
}

/// The state a query string (with or without `?`) describes, and the notes about it. Keys in
/// `reserved` (the page's own, such as `view`) are skipped silently; a key given twice takes
/// its last value. A table the link names by its hash is read from `tables`.
pub fn decode<S: Described>(query: &str, reserved: &[&str], tables: &dyn TableStore) -> (S, Vec<Note>) {
    let mut state = S::default();
    let mut notes = Vec::new();
    for (key, raw) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        if reserved.contains(&key.as_ref()) {
            continue;
        }
        let Some(field) = S::FIELDS.iter().find(|f| f.key == key) else {
            notes.push(Note::text("ignored unknown link parameter ").quote(&key));
            continue;
        };
        match parse_value(field, &raw) {
            Ok((value, note)) => {
                notes.extend(note);
                notes.extend((field.set)(&mut state, value, tables));
            }
            Err(note) => notes.push(note),
        }
    }
    notes.extend(state.normalize());
    (state, notes)
}

/// A value of `field`'s kind read from link text, with a note when it had to be clamped or
/// cut; or the note saying why it cannot be used.
///
/// # Errors
/// A note for text that is not a number (numeric kinds) or not one of the names (choices).
pub fn parse_value<S>(field: &Field<S>, raw: &str) -> Result<(Value, Option<Note>), Note> {
    let raw = raw.trim();
    let bad = || Note::text(format!("{} ", field.label)).quote(raw).then(" is not valid: kept the default");
    match field.kind {
        Kind::Int { .. } | Kind::Real { .. } => {
            let v: f64 = raw.parse().map_err(|_| bad())?;
            let value = field.kind.clamp(v).ok_or_else(bad)?;
            let changed = value.as_f64() != v;
            let note = changed.then(|| {
                Note::text(format!("{} ", field.label))
                    .quote(raw)
                    .then(format!(" clamped to {}", value.to_url_text()))
            });
            Ok((value, note))
        }
        Kind::Choice(names) => {
            let lower = raw.to_lowercase();
            names.iter().find(|n| **n == lower).map(|n| (Value::Choice(n), None)).ok_or_else(bad)
        }
        Kind::Text { max_len } => {
            if raw.chars().count() > max_len {
                let cut: String = raw.chars().take(max_len).collect();
                let note = Note::text(format!("{} longer than {max_len} characters: cut", field.label));
                return Ok((Value::Text(cut), Some(note)));
            }
            Ok((Value::Text(raw.to_string()), None))
        }
    }
}

/// Keys of the page itself, which no view's state uses: the view shown, the parts hidden.
pub const RESERVED: &[&str] = &[crate::route::VIEW_KEY, crate::route::HIDE_KEY];
