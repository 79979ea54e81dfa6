//! Notes the page shows about what it did with a link or an input: "learning rate 'abc' is not
//! valid: kept the default". A note quotes what the user gave as a separate part, so the page
//! can shorten it and isolate its text direction (a right-to-left override in a link must not
//! reverse the note around it); a list of notes is deduplicated and capped when shown.

use std::fmt;

/// Longest quoted user text kept in a note (characters).
pub const MAX_QUOTE: usize = 24;
/// Notes shown before "… and N more".
pub const MAX_SHOWN: usize = 5;

/// One piece of a note.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// the page's own words
    Text(String),
    /// text the user gave (shortened to [`MAX_QUOTE`] characters, shown direction-isolated)
    Quoted(String),
}

/// A note: the page's words with quoted user text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Note {
    /// its pieces, in order
    pub parts: Vec<Part>,
}

impl Note {
    /// A note made of the page's words only.
    pub fn text(s: impl Into<String>) -> Note {
        Note { parts: vec![Part::Text(s.into())] }
    }

    /// Appends the page's words.
    pub fn then(mut self, s: impl Into<String>) -> Note {
        self.parts.push(Part::Text(s.into()));
        self
    }

    /// Puts the page's words `s` before the note.
    pub fn prefixed(mut self, s: impl Into<String>) -> Note {
        self.parts.insert(0, Part::Text(s.into()));
        self
    }

    /// Appends user text, shortened to [`MAX_QUOTE`] characters (with "…").
    pub fn quote(mut self, s: &str) -> Note {
        self.parts.push(Part::Quoted(shorten(s)));
        self
    }
}

impl fmt::Display for Note {
    /// The note as plain text, quoted parts in single quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(t) => f.write_str(t)?,
                Part::Quoted(q) => write!(f, "'{q}'")?,
            }
        }
        Ok(())
    }
}

/// At most [`MAX_QUOTE`] characters of `s`, with "…" when cut.
pub fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(MAX_QUOTE).collect();
    if s.chars().count() > MAX_QUOTE {
        out.push('…');
    }
    out
}

/// What a list of notes shows: the first [`MAX_SHOWN`] distinct notes (in order of first
/// appearance) and how many more distinct notes there are.
pub fn shown(notes: &[Note]) -> (Vec<Note>, usize) {
    let mut distinct: Vec<&Note> = Vec::new();
    for n in notes {
        if !distinct.contains(&n) {
            distinct.push(n);
        }
    }
    let more = distinct.len().saturating_sub(MAX_SHOWN);
    (distinct.into_iter().take(MAX_SHOWN).cloned().collect(), more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_deduplicated_and_capped_in_order() {
        let notes: Vec<Note> = (0..20).map(|i| Note::text(format!("n{}", i % 8))).collect();
        let (first, more) = shown(&notes);
        let texts: Vec<String> = first.iter().map(Note::to_string).collect();
        assert_eq!(texts, ["n0", "n1", "n2", "n3", "n4"]);
        assert_eq!(more, 3, "8 distinct notes, 5 shown");
        let (few, more) = shown(&notes[..3]);
        assert_eq!((few.len(), more), (3, 0));
    }

    #[test]
    fn quoted_text_is_shortened_and_kept_apart() {
        let n = Note::text("seed ").quote(&"\u{202e}9".repeat(30)).then(" is not valid");
        assert_eq!(n.parts.len(), 3);
        let Part::Quoted(q) = &n.parts[1] else { panic!("{n:?}") };
        assert_eq!(q.chars().count(), MAX_QUOTE + 1, "24 characters and the ellipsis");
        assert!(q.ends_with('…'));
        assert!(matches!(&n.parts[0], Part::Text(t) if t == "seed "));
    }
}
