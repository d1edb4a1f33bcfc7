//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) and every crash the fuzzers found
//! (`fuzz/regressions/`) through the fuzz targets' entry points, so CI proves that none of
//! them panics without running libFuzzer.

mod support;

use std::fs;

#[test]
fn fuzz_corpus_and_regressions_do_not_panic() {
    let fuzz = support::repo().join("fuzz");
    let mut replayed = 0;
    for dir in [
        "corpus/parse",
        "corpus/pipeline",
        "corpus/manifests",
        "regressions",
    ] {
        let Ok(entries) = fs::read_dir(fuzz.join(dir)) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let data = fs::read(&file).expect("read corpus file");
            if dir == "corpus/manifests" || dir == "regressions" {
                topoc::fuzzing::manifests(&data);
            }
            if dir == "corpus/manifests" {
                replayed += 1;
                continue;
            }
            if dir != "corpus/pipeline" {
                topoc::fuzzing::parse(&data);
            }
            if dir != "corpus/parse" {
                topoc::fuzzing::pipeline(&data);
            }
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "no fuzz corpus found under {}",
        fuzz.display()
    );
    println!("replayed {replayed} fuzz inputs");
}
