//! `topoc import` and `topoc check --manifests` on arbitrary text: never panics, spans stay on
//! the text, and what imports without error prints as a program that parses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    topoc::fuzzing::manifests(data);
});
