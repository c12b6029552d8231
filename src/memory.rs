//! What each thread has allocated, so that one jq evaluation can be held to a memory budget
//! (see `jq.rs`). The binary wraps its allocator in [`Counting`]; elsewhere (unit tests)
//! nothing is counted and the budget never trips.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    /// Bytes this thread has asked for since it started (frees are not subtracted: a
    /// budget on what an evaluation allocates, not on what it holds).
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
}

/// A global allocator that counts, per thread, the bytes asked of `A`.
pub struct Counting<A>(pub A);

fn count(bytes: usize) {
    // `try_with`: a thread being torn down has no counter left, and needs none.
    let _ = ALLOCATED.try_with(|a| a.set(a.get().wrapping_add(bytes as u64)));
}

/// Bytes this thread has allocated so far.
pub fn allocated() -> u64 {
    ALLOCATED.try_with(Cell::get).unwrap_or(0)
}

// SAFETY: every call is passed on unchanged to `A`, which upholds the contract; counting
// touches only a thread-local integer and never allocates.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's guarantees for `alloc` hold for `A` too.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()));
        // SAFETY: `ptr` and `layout` came from this allocator, that is from `A`.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` and `layout` came from this allocator, that is from `A`.
        unsafe { self.0.dealloc(ptr, layout) }
    }
}
