//! Text from the outside, handled without panics: cut only at character boundaries, and
//! made harmless where another program will read it (spreadsheets).

/// The longest prefix of `s` that is at most `max_bytes` long and ends on a character
/// boundary. Never panics, whatever `s` and `max_bytes` are.
pub fn clip(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// A space as JSON Schema patterns (ECMAScript's `\s`) count them, so the server and the
/// API's published patterns agree on what a blank text is.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Whether a text has nothing but [spaces](is_space) in it.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(is_space)
}

/// [`clip`] by characters instead of bytes, as an owned string.
pub fn clip_chars(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// A cell for a CSV export: a value a spreadsheet would take for a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`, so it is shown as
/// the text it is.
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_never_splits_a_character() {
        let s = format!("{}€uro", "a".repeat(1999));
        for max in 1995..2010 {
            let c = clip(&s, max);
            assert!(c.len() <= max);
            assert!(s.starts_with(c));
        }
        assert_eq!(
            clip(&s, 2000).len(),
            1999,
            "the euro sign is not cut in half"
        );
        assert_eq!(clip(&s, 2002).len(), 2002);
        assert_eq!(clip("한국어", 4), "한");
        assert_eq!(clip("한국어", 0), "");
        assert_eq!(clip("abc", 10), "abc");
        assert_eq!(clip_chars("한국어", 2), "한국");
    }

    #[test]
    fn formulas_are_neutralised_and_other_text_kept() {
        for bad in ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(bad), format!("'{bad}"));
        }
        for good in ["laptop-1", "", "a=b", "1-2", "ölö"] {
            assert_eq!(csv_cell(good), good);
        }
    }
}
