//! Text a person's terminal will show: control characters (C0, DEL, C1) and the characters
//! that reorder text (bidi overrides and isolates) are shown as escapes, never sent. An
//! event cannot retitle the window, clear the screen, move the cursor, overwrite a line with
//! a carriage return or hide text behind a right-to-left override. Numbers for people are
//! written here too ([`thousands`]).

use std::borrow::Cow;

/// Characters that reorder text on a terminal: U+202A–U+202E, U+2066–U+2069, and the
/// implicit marks U+200E, U+200F, U+061C.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// `text` with every unsafe character written as `\u{1b}`; newlines and tabs too.
pub fn line(text: &str) -> Cow<'_, str> {
    escaped(text, |c, out| out.push_str(&c.escape_unicode().to_string()))
}

/// Like [`line`] but keeps tabs (a multi-line text is split on newlines by the caller).
pub fn text(text: &str) -> Cow<'_, str> {
    escaped(text, |c, out| match c {
        '\t' => out.push('\t'),
        c => out.push_str(&c.escape_unicode().to_string()),
    })
}

/// A JSON string token as written in the event: unsafe characters (which JSON allows raw
/// from DEL on) become JSON escapes, so the shown text is still the same JSON.
pub fn json_token(token: &str) -> Cow<'_, str> {
    escaped(token, |c, out| {
        for unit in c.encode_utf16(&mut [0; 2]) {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    })
}

/// True when `text` is printable ASCII only (most text is): nothing to escape, and one
/// vectorised pass says so.
pub fn is_plain(text: &str) -> bool {
    // No early exit, so the compiler vectorises it: 32 bytes an instruction or so.
    text.bytes()
        .fold(0u8, |bad, b| bad | u8::from(b < 0x20) | u8::from(b >= 0x7f))
        == 0
}

fn escaped(text: &str, mut escape: impl FnMut(char, &mut String)) -> Cow<'_, str> {
    if is_plain(text) {
        return Cow::Borrowed(text);
    }
    let Some(first) = text.find(is_unsafe) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if is_unsafe(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// 1234567 → "1,234,567".
/// A rate for people: `events` over `secs` per second, with thousands separators, and one
/// decimal below 10 (`0.7`, not `0`). The progress bar and every summary use it, so they agree.
pub fn rate(events: u64, secs: f64) -> String {
    let per_sec = events as f64 / secs.max(1e-9);
    if per_sec < 10.0 {
        format!("{per_sec:.1}")
    } else {
        thousands(per_sec as u64)
    }
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_keep_a_decimal_when_small() {
        assert_eq!(rate(2, 2.97), "0.7");
        assert_eq!(rate(0, 1.0), "0.0");
        assert_eq!(rate(1_234_567, 1.0), "1,234,567");
        assert_eq!(rate(50, 2.0), "25");
    }

    use super::*;

    #[test]
    fn safe_text_is_untouched() {
        assert!(matches!(line("order-17 ✓ 東京"), Cow::Borrowed(_)));
    }

    #[test]
    fn control_and_bidi_characters_are_shown_not_sent() {
        let hostile = "a\x1b]0;pwned\x07b\x1b[2Jc\rd\x08e\u{202e}f\u{9b}g\x7f";
        let shown = line(hostile);
        for c in ['\x1b', '\x07', '\r', '\x08', '\u{202e}', '\u{9b}', '\x7f'] {
            assert!(!shown.contains(c), "{c:?} in {shown:?}");
        }
        assert_eq!(line("x\ny\tz"), "x\\u{a}y\\u{9}z");
        assert_eq!(text("x\tz\r"), "x\tz\\u{d}");
        assert_eq!(json_token("\"a\u{202e}b\u{9b}\""), "\"a\\u202eb\\u009b\"");
    }
}
