//! Bounds that keep one hostile or unlucky event from taking evt down: how deep a JSON value
//! may nest before jq or the pretty printer looks into it, how much work one jq evaluation
//! may do, and how much of one value the pretty printer shows.

/// Values nested deeper than this are not handed to jq (jq 1.7 parses at most 10,000 levels;
/// jaq's evaluator recurses natively, so evt stops earlier and says so).
pub const JQ_MAX_DEPTH: usize = 1_000;

/// Evaluation steps one jq program may take on one event (a step is one term evaluated or
/// one value produced by `range`): far above any real filter, reached in under a second by
/// a loop.
pub const JQ_STEPS: u64 = 5_000_000;

/// Bytes one jq evaluation on one event may allocate in all (frees not subtracted): far above
/// what any filter of a real event needs; a value that doubles at each step
/// (`reduce range(40) as $i ("x"; . + .)`) or a string repeated by a number from the event
/// (`.s * .n`) stops here instead of exhausting the machine.
pub const JQ_MEMORY: u64 = 1 << 30;

/// Stack one jq evaluation may use below the point where it started.
pub const JQ_STACK: usize = 4 << 20;

/// Stack of the threads that read input: room to parse deeply nested documents.
pub const THREAD_STACK: usize = 16 << 20;

/// Stack of the thread that runs the command (and so the filters). A program may build a
/// value as deep as its step budget allows (`reduce range(N) as $i (0; [.])`, two steps a
/// level), and dropping a value recurses: 2.5 million levels need about 150 MiB. The stack
/// is reserved address space; only what is used takes memory.
pub const COMMAND_STACK: usize = 256 << 20;

/// Values nested deeper than this are compared by `evt diff` byte by byte, not as JSON (the
/// comparison recurses; this bounds its stack far below the command thread's).
pub const DIFF_MAX_DEPTH: usize = 10_000;

/// The pretty printer indents this many levels; deeper parts are shown on one line.
pub const PRETTY_MAX_INDENT: usize = 64;

/// The pretty printer shows at most this much of one value, then a marker.
pub const PRETTY_MAX_BYTES: usize = 1 << 20;

/// How deeply `bytes` nest arrays and objects, scanning as JSON (brackets inside strings do
/// not count). Stops counting at `cap + 1`: the answer is exact up to `cap`.
pub fn nesting(bytes: &[u8], cap: usize) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string, escapes included.
                i += 1;
                while i < bytes.len() {
                    match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                        None => return deepest,
                        Some(n) if bytes[i + n] == b'\\' => i += n + 2,
                        Some(n) => {
                            i += n;
                            break;
                        }
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > deepest {
                    deepest = depth;
                    if deepest > cap {
                        return deepest;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings() {
        assert_eq!(nesting(b"1", 10), 0);
        assert_eq!(nesting(b"[]", 10), 1);
        assert_eq!(nesting(br#"{"a":[1,{"b":[]}]}"#, 10), 4);
        assert_eq!(nesting(br#"["[[[[", "\"[[[", "\\"]"#, 10), 1);
        assert_eq!(nesting(br#"[{"a\\":"]]]"}]"#, 10), 2);
        assert_eq!(
            nesting("[".repeat(100).as_bytes(), 10),
            11,
            "stops past the cap"
        );
        assert_eq!(nesting(br#"["unterminated"#, 10), 1);
    }
}

/// Whether `text` is exactly one JSON value (RFC 8259, surrounding white space allowed),
/// checked without recursion: any depth is fine. serde_json refuses more than 128 levels,
/// which made valid deep JSON look like text.
pub fn is_json(text: &str) -> bool {
    check_json(text.as_bytes()).is_some()
}

fn check_json(b: &[u8]) -> Option<()> {
    let mut open: Vec<u8> = Vec::new();
    let mut i = ws(b, 0);
    loop {
        // A value starts at `i`.
        match *b.get(i)? {
            b'{' => {
                i = ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    open.push(b'}');
                    i = member_key(b, i)?;
                    continue;
                }
            }
            b'[' => {
                i = ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    open.push(b']');
                    continue;
                }
            }
            b'"' => i = string(b, i)?,
            b't' => i = literal(b, i, b"true")?,
            b'f' => i = literal(b, i, b"false")?,
            b'n' => i = literal(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number(b, i)?,
            _ => return None,
        }
        // After a value: close what ends here, then a comma leads to the next value.
        loop {
            i = ws(b, i);
            let Some(&close) = open.last() else {
                return (i == b.len()).then_some(());
            };
            match *b.get(i)? {
                b',' => {
                    i = ws(b, i + 1);
                    if close == b'}' {
                        i = member_key(b, i)?;
                    }
                    break;
                }
                c if c == close => {
                    open.pop();
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// `"key" :` at `i`; returns where the member's value starts.
fn member_key(b: &[u8], i: usize) -> Option<usize> {
    let i = ws(b, string(b, i)?);
    (b.get(i) == Some(&b':')).then(|| ws(b, i + 1))
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b[i..].starts_with(word).then_some(i + word.len())
}

fn string(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut i = i + 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' if b.len() >= i + 6 && b[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit) => {
                    i += 6
                }
                _ => return None,
            },
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], i: usize| i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b[i] == b'-' {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(b, i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

#[cfg(test)]
mod json_tests {
    use super::is_json;

    #[test]
    fn agrees_with_serde_json_where_serde_can_answer() {
        let cases = [
            "1",
            "-0",
            "0.5e+3",
            "1E9",
            "\"a\\u00e9\\n\"",
            "true",
            "null",
            "[]",
            "{}",
            " [1, {\"a\": [true, false, null]}, \"x\"] ",
            "{\"a\":1,\"b\":{}}",
            "[[[]]]",
            "",
            " ",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "tru",
            "nul",
            "[1,]",
            "[,1]",
            "{\"a\"}",
            "{\"a\":}",
            "{1:2}",
            "{\"a\":1,}",
            "[1 2]",
            "\"abc",
            "\"\\x\"",
            "\"\\u12g4\"",
            "[1]]",
            "[[1]",
            "{\"a\":1}}",
            "1 2",
            "\"tab\there\"",
            "[\"\\ud83d\\ude00\"]",
        ];
        for case in cases {
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(case).is_ok();
            assert_eq!(is_json(case), serde, "{case:?}");
        }
    }

    #[test]
    fn any_depth_is_valid_json() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(is_json(&deep));
        assert!(!is_json(&deep[1..]));
        let objects = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
        assert!(is_json(&objects));
    }
}
