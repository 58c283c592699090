//! The counting allocator the memory benchmark reads.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// Counts bytes currently allocated, for memory per pending call; only while `COUNTING` is
/// set, so the shared counter does not slow the timing sections down.
pub(crate) struct Counting;

pub(crate) static ALLOCATED: AtomicIsize = AtomicIsize::new(0);

pub(crate) static COUNTING: AtomicBool = AtomicBool::new(false);

pub(crate) fn count(delta: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATED.fetch_add(delta, Ordering::Relaxed);
    }
}

// The memory benchmark counts the bytes a call allocates, which takes a global allocator:
// `GlobalAlloc` is an unsafe trait. Each method only adds to a counter and hands the call to
// the system allocator unchanged, so the allocator's contract is the system's.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
pub(crate) static GLOBAL: Counting = Counting;
