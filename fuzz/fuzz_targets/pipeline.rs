//! The whole pipeline (parse, resolve, place, check, render, lay out) in memory on arbitrary
//! text: never panics, and renders diagnostics without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    topoc::fuzzing::pipeline(data);
});
