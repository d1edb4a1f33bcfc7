//! The parser on arbitrary bytes: never panics, always returns a tree and diagnostics whose
//! spans lie inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    topoc::fuzzing::parse(data);
});
