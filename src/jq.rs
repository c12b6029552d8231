//! jq expressions (`--where`, `--where-envelope`, `--jq`) through jaq, a maintained jq
//! implementation in Rust. Programs are checked when the configuration is built, so a syntax
//! error is a one-line usage error before any broker is contacted.

use std::cell::{Cell, RefCell};

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, Compiler, Ctx, Native, Vars};
use jaq_json::Val;

use crate::limits::{JQ_MAX_DEPTH, JQ_MEMORY, JQ_STACK, JQ_STEPS};
use crate::stop::Stop;

type Data = data::JustLut<Val>;

/// A compiled jq program. Values are reference counted without atomics, so a program lives
/// on the thread that runs it: compile it there from its source text.
pub struct Program {
    filter: jaq_core::compile::Filter<Native<Data>>,
}

/// Why a program did not compile, as one line naming the flag and the column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} '{code}': jq {kind} at column {column}: {message}")]
pub struct JqError {
    pub flag: String,
    pub code: String,
    pub kind: &'static str,
    pub column: usize,
    pub message: String,
}

impl Program {
    /// Compiles `code`; `flag` names the option in error messages.
    pub fn compile(flag: &str, code: &str) -> Result<Program, JqError> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let error = |kind, at: Option<&str>, message: String| {
            let column = at
                .and_then(|rest| {
                    let offset = (rest.as_ptr() as usize).checked_sub(code.as_ptr() as usize)?;
                    (offset <= code.len()).then(|| code[..offset].chars().count() + 1)
                })
                .unwrap_or(1);
            JqError {
                flag: flag.to_string(),
                code: code.to_string(),
                kind,
                column,
                message,
            }
        };
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|errors| {
                let (_, first) = errors
                    .into_iter()
                    .next()
                    .expect("a failed load reports an error");
                match first {
                    jaq_core::load::Error::Lex(errs) => {
                        let (expect, at) = &errs[0];
                        error(
                            "syntax error",
                            Some(at),
                            format!("expected {}", expect.as_str()),
                        )
                    }
                    jaq_core::load::Error::Parse(errs) => {
                        let (expect, at) = &errs[0];
                        let found = at.split_whitespace().next().unwrap_or("end of input");
                        error(
                            "syntax error",
                            Some(at),
                            format!("expected {}, found '{found}'", expect.as_str()),
                        )
                    }
                    jaq_core::load::Error::Io(errs) => error("error", None, errs[0].1.clone()),
                }
            })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                let (_, undefined) = errors
                    .into_iter()
                    .next()
                    .expect("a failed compile reports an error");
                let (name, what) = &undefined[0];
                error(
                    "error",
                    Some(name),
                    format!("undefined {} '{name}'", what.as_str()),
                )
            })?;
        Ok(Program { filter })
    }

    /// Runs the program on one input; `Err` is a jq runtime error (e.g. `.a` on a number),
    /// or a refusal of the guard (see [`tripped`]). Each call gets a fresh step budget.
    pub fn run(&self, input: Val) -> impl Iterator<Item = Result<Val, String>> + '_ {
        guard_start();
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        self.filter
            .id
            .run((ctx, input))
            .map(|r| jaq_core::unwrap_valr(r).map_err(|e| e.to_string()))
    }

    /// True when the program's first output is truthy (jq's `select` semantics).
    pub fn is_truthy(&self, input: Val) -> Result<bool, String> {
        use jaq_core::ValT;
        match self.run(input).next() {
            Some(Ok(v)) => Ok(v.as_bool()),
            Some(Err(e)) => Err(e),
            None => Ok(false),
        }
    }
}

/// Why a value was not handed to jq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unparsed {
    NotJson,
    /// Nested more deeply than [`JQ_MAX_DEPTH`] (at least this deep).
    TooDeep(usize),
}

/// Parses JSON bytes into a jq value, refusing values nested too deeply for jq to walk.
pub fn parse(bytes: &[u8]) -> Result<Val, Unparsed> {
    // Counting brackets is a vectorised pass; only a value with that many scans for depth.
    let openers = bytes.iter().filter(|&&b| b == b'[' || b == b'{').count();
    if openers > JQ_MAX_DEPTH {
        let depth = crate::limits::nesting(bytes, JQ_MAX_DEPTH);
        if depth > JQ_MAX_DEPTH {
            return Err(Unparsed::TooDeep(depth));
        }
    }
    jaq_json::read::parse_single(bytes).map_err(|_| Unparsed::NotJson)
}

/// What a guard refusal says.
pub const OUT_OF_STEPS: &str = "did not finish within the step budget (an endless loop?)";
pub const OUT_OF_STACK: &str = "recursed too deeply";
pub const OUT_OF_MEMORY: &str =
    "would allocate more than 1 GiB (a value growing without end, or a huge repetition?)";
pub const INTERRUPTED: &str = "interrupted";

/// The state of the guard on this thread: jq evaluation runs where the pipeline runs.
struct Guard {
    steps: Cell<u64>,
    /// Stack address where the current evaluation started.
    base: Cell<usize>,
    /// Bytes this thread had allocated when the current evaluation started.
    allocated: Cell<u64>,
    tripped: Cell<Option<&'static str>>,
    stop: RefCell<Option<Stop>>,
}

thread_local! {
    static GUARD: Guard = const {
        Guard {
            steps: Cell::new(JQ_STEPS),
            base: Cell::new(0),
            allocated: Cell::new(0),
            tripped: Cell::new(None),
            stop: RefCell::new(None),
        }
    };
}

/// jq programs evaluated on this thread stop within a moment of `stop` being interrupted.
pub fn watch(stop: &Stop) {
    jaq_core::guard::set_step_hook(step);
    GUARD.with(|g| *g.stop.borrow_mut() = Some(stop.clone()));
}

/// Why the last evaluation on this thread was refused, if it was.
pub fn tripped() -> Option<&'static str> {
    GUARD.with(|g| g.tripped.get())
}

fn stack_address() -> usize {
    let here = 0u8;
    std::hint::black_box(&here) as *const u8 as usize
}

fn guard_start() {
    jaq_core::guard::set_step_hook(step);
    jaq_core::guard::set_reserve_hook(reserve);
    GUARD.with(|g| {
        g.steps.set(JQ_STEPS);
        g.base.set(stack_address());
        g.allocated.set(crate::memory::allocated());
        g.tripped.set(None);
    });
}

/// Asked by jaq before it makes a value whose size it knows in advance (a repeated string).
fn reserve(bytes: usize) -> Result<(), &'static str> {
    GUARD.with(|g| {
        let used = crate::memory::allocated().wrapping_sub(g.allocated.get());
        if used.saturating_add(bytes as u64) > JQ_MEMORY {
            g.tripped.set(Some(OUT_OF_MEMORY));
            return Err(OUT_OF_MEMORY);
        }
        Ok(())
    })
}

/// Called by jaq at every step; a refusal sticks until the next evaluation starts, so that
/// `try` cannot swallow it.
fn step() -> Result<(), &'static str> {
    GUARD.with(|g| {
        if let Some(why) = g.tripped.get() {
            return Err(why);
        }
        let left = g.steps.get();
        let why = if left == 0 {
            Some(OUT_OF_STEPS)
        } else if g.base.get().saturating_sub(stack_address()) > JQ_STACK {
            Some(OUT_OF_STACK)
        } else if crate::memory::allocated().wrapping_sub(g.allocated.get()) > JQ_MEMORY {
            Some(OUT_OF_MEMORY)
        } else if left % 1024 == 0 && g.stop.borrow().as_ref().is_some_and(Stop::interrupted) {
            Some(INTERRUPTED)
        } else {
            None
        };
        g.steps.set(left.saturating_sub(1));
        match why {
            Some(why) => {
                g.tripped.set(Some(why));
                Err(why)
            }
            None => Ok(()),
        }
    })
}

/// Writes a jq value as compact one-line JSON; `Err` with its depth when it nests more
/// deeply than [`JQ_MAX_DEPTH`] (the writer recurses).
pub fn to_json(value: &Val) -> Result<Vec<u8>, usize> {
    let depth = depth(value, JQ_MAX_DEPTH);
    if depth > JQ_MAX_DEPTH {
        return Err(depth);
    }
    let mut out = Vec::new();
    jaq_json::write::write(&mut out, &jaq_json::write::Pp::default(), 0, value)
        .expect("writing to a Vec cannot fail");
    Ok(out)
}

/// How deeply a value nests, without recursing; exact up to `cap`, then `cap + 1`.
fn depth(value: &Val, cap: usize) -> usize {
    let is_container = |v: &Val| matches!(v, Val::Arr(_) | Val::Obj(_));
    if !is_container(value) {
        return 0;
    }
    let mut deepest = 0;
    let mut todo = vec![(value, 1usize)];
    while let Some((v, d)) = todo.pop() {
        deepest = deepest.max(d);
        if deepest > cap {
            return deepest;
        }
        match v {
            Val::Arr(items) => {
                todo.extend(items.iter().filter(|c| is_container(c)).map(|c| (c, d + 1)))
            }
            Val::Obj(map) => {
                todo.extend(map.values().filter(|c| is_container(c)).map(|c| (c, d + 1)))
            }
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truthy(code: &str, input: &str) -> Result<bool, String> {
        Program::compile("--where", code)
            .unwrap()
            .is_truthy(parse(input.as_bytes()).unwrap())
    }

    #[test]
    fn where_semantics() {
        let order = r#"{"status":"FAILED","amount":150,"items":[{"sku":"a"}]}"#;
        assert_eq!(truthy(r#".status == "FAILED""#, order), Ok(true));
        assert_eq!(
            truthy(r#".status == "FAILED" and .amount > 100"#, order),
            Ok(true)
        );
        assert_eq!(
            truthy(r#".status == "PAID" or .amount > 1000"#, order),
            Ok(false)
        );
        assert_eq!(truthy(r#".items | any(.sku == "a")"#, order), Ok(true));
        assert_eq!(truthy(r#".missing"#, order), Ok(false));
        assert_eq!(truthy(r#"empty"#, order), Ok(false));
        assert_eq!(truthy(r#"test("FAIL")"#, r#""FAILED""#), Ok(true));
        assert!(
            truthy(r#".a.b"#, "5").is_err(),
            "runtime errors are reported, not fatal"
        );
    }

    #[test]
    fn transforms_write_compact_json() {
        let p = Program::compile("--jq", "{id: .order_id, n: (.items | length)}").unwrap();
        let out: Vec<Vec<u8>> = p
            .run(parse(br#"{"order_id":7,"items":[1,2]}"#).unwrap())
            .map(|v| to_json(&v.unwrap()).unwrap())
            .collect();
        assert_eq!(out, vec![br#"{"id":7,"n":2}"#.to_vec()]);
    }

    #[test]
    fn syntax_errors_name_the_column() {
        let err = Program::compile("--where", r#".status =="#).err().unwrap();
        assert_eq!(err.column, 11, "{err}");
        assert!(
            err.to_string()
                .starts_with("--where '.status ==': jq syntax error at column 11"),
            "{err}"
        );
        let err = Program::compile("--jq", "{a: 1").err().unwrap();
        assert!(err.to_string().contains("syntax error"), "{err}");
        let err = Program::compile("--where", ".a | nosuchfn(1)")
            .err()
            .unwrap();
        assert_eq!(err.column, 6, "{err}");
        assert!(
            err.to_string().contains("undefined filter 'nosuchfn'"),
            "{err}"
        );
    }
}
