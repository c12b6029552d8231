//! A hook called at every evaluation step (added for evt; not part of upstream jaq).
//!
//! jaq evaluates lazily and has no notion of time: `def f: f; f` or a deep recursion runs
//! until the process dies. An embedder that runs programs from untrusted users installs one
//! hook for the whole process; it is called once per evaluated term (and once per value that
//! `range` yields) and may refuse to go on, which makes that step a runtime error. A refusal
//! should persist (the hook keeps refusing) so that `try` cannot swallow it.

#[cfg(feature = "std")]
static HOOK: std::sync::OnceLock<fn() -> Result<(), &'static str>> = std::sync::OnceLock::new();

/// Installs the step hook; the first call wins.
#[cfg(feature = "std")]
pub fn set_step_hook(hook: fn() -> Result<(), &'static str>) {
    let _ = HOOK.set(hook);
}

#[cfg(feature = "std")]
static RESERVE: std::sync::OnceLock<fn(usize) -> Result<(), &'static str>> =
    std::sync::OnceLock::new();

/// Installs the hook asked before an operation makes a value of a size known in advance
/// (`"ab" * 1e10`); the first call wins.
#[cfg(feature = "std")]
pub fn set_reserve_hook(hook: fn(usize) -> Result<(), &'static str>) {
    let _ = RESERVE.set(hook);
}

/// Asks whether a value of `bytes` may be made: `Err` with the hook's reason when not.
pub fn reserve<V: From<alloc::string::String>>(bytes: usize) -> Result<(), crate::Error<V>> {
    #[cfg(feature = "std")]
    if let Some(hook) = RESERVE.get() {
        return hook(bytes).map_err(crate::Error::str);
    }
    let _ = bytes;
    Ok(())
}

/// One evaluation step: `Err` with the hook's reason when it refuses.
#[inline]
pub(crate) fn step<V: From<alloc::string::String>>() -> Result<(), crate::Error<V>> {
    #[cfg(feature = "std")]
    if let Some(hook) = HOOK.get() {
        return hook().map_err(crate::Error::str);
    }
    Ok(())
}
