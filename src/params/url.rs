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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::explorer::{ExplorerParams, MAX_WIDTH};
    use crate::params::field;
    use crate::storage::NoTables;
    use ntk_core::Activation;

    #[test]
    fn a_link_is_read_key_by_key_and_written_back_with_only_what_is_set() {
        // The page's own keys are skipped silently, an unknown key gets a note, the last of a
        // repeated key wins, names are read whatever their case.
        let (s, notes) = decode::<ExplorerParams>(
            "?view=single&hide=tabs&width=64&width=128&act=TANH&zz=1",
            RESERVED,
            &NoTables,
        );
        assert_eq!(s.training.width, 128);
        assert_eq!(s.arch.activation, Activation::Tanh);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].to_string().contains("unknown link parameter 'zz'"), "{}", notes[0]);
        let query = encode(&s);
        assert!(query.contains("width=128") && query.contains("act=tanh"), "{query}");
        assert!(!query.contains("view=") && !query.contains("hide="), "{query}");
        assert_eq!(decode::<ExplorerParams>(&query, RESERVED, &NoTables).0, s);
        // Text is percent-encoded and reads back to itself.
        let (f, notes) = decode::<ExplorerParams>("data=formula&fx=x%5E2%2F4%2B1", RESERVED, &NoTables);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(f.data.formula.source(), "x^2/4+1");
        let query = encode(&f);
        assert!(query.contains("fx=x%5E2%2F4%2B1"), "{query}");
        assert_eq!(decode::<ExplorerParams>(&query, RESERVED, &NoTables).0, f);
        // A field left unset (the default formula, no table) is left out.
        let query = encode(&ExplorerParams::default());
        assert!(query.contains("width=") && !query.contains("fx=") && !query.contains("csv"), "{query}");
    }

    #[test]
    fn values_are_clamped_cut_or_refused_with_a_note_naming_the_field() {
        let width = field::<ExplorerParams>("width").unwrap();
        assert_eq!(parse_value(width, " 128 ").unwrap(), (Value::Int(128), None));
        let (v, note) = parse_value(width, "1e9").unwrap();
        assert_eq!(v, Value::Int(MAX_WIDTH as u64));
        let note = note.unwrap().to_string();
        assert!(note.contains("width n") && note.contains(&format!("clamped to {MAX_WIDTH}")), "{note}");
        for bad in ["inf", "NaN", "12abc", ""] {
            let note = parse_value(width, bad).unwrap_err().to_string();
            assert!(note.contains("width n") && note.contains("not valid"), "{bad}: {note}");
        }
        let act = field::<ExplorerParams>("act").unwrap();
        assert_eq!(parse_value(act, "Erf").unwrap(), (Value::Choice("erf"), None));
        assert!(parse_value(act, "swish").unwrap_err().to_string().contains("not valid"));
        let fx = field::<ExplorerParams>("fx").unwrap();
        let (v, note) = parse_value(fx, &"x".repeat(250)).unwrap();
        assert_eq!(v, Value::Text("x".repeat(200)));
        assert!(note.unwrap().to_string().contains("longer than 200 characters: cut"));
    }
}
