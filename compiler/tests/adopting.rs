//! docs/adopting.md walks a team from a Gloo relay folder to a topoc repository in five
//! commands: this test writes the files the page shows, runs exactly the commands of its
//! console block with the built binary, and compares what they print with the page.

mod support;

use std::fs;

struct Block {
    info: String,
    text: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some(b), None) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            (None, Some(info)) => {
                current = Some(Block {
                    info: info.trim().to_string(),
                    text: String::new(),
                })
            }
            (None, None) => {}
        }
    }
    out
}

/// `$ topoc ARGS` lines and the output expected after each.
fn commands(console: &str) -> Vec<(Vec<String>, String)> {
    let mut out: Vec<(Vec<String>, String)> = Vec::new();
    for line in console.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            let words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
            out.push((words, String::new()));
        } else if let Some((_, expected)) = out.last_mut() {
            expected.push_str(line);
            expected.push('\n');
        }
    }
    out
}

#[test]
fn adopting_walkthrough_runs_as_written() {
    let page = fs::read_to_string(support::repo().join("docs/adopting.md")).expect("read page");
    let blocks = blocks(&page);
    let dir = support::tempdir("adopting");
    for b in &blocks {
        if let Some(path) = b
            .info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("file="))
        {
            let target = dir.join(path);
            fs::create_dir_all(target.parent().expect("in dir")).expect("create folder");
            fs::write(target, &b.text).expect("write file of the page");
        }
    }
    let console = blocks
        .iter()
        .find(|b| b.info == "console")
        .expect("a console block");
    let commands = commands(&console.text);
    assert_eq!(commands.len(), 5, "the page promises five commands");
    for (words, expected) in commands {
        assert_eq!(words[0], "topoc", "every command is topoc's");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_topoc"))
            .current_dir(&dir)
            .args(&words[1..])
            .arg("--color=never")
            .output()
            .expect("run topoc");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            o.status.success(),
            "`{}` failed:\n{printed}",
            words.join(" ")
        );
        assert_eq!(
            printed,
            expected,
            "`{}` prints what the page says",
            words.join(" ")
        );
    }
    // The program the page shows is the one written (after its two header lines).
    let written = fs::read_to_string(dir.join("topology/fleet.topo")).expect("imported");
    let shown = blocks
        .iter()
        .find(|b| b.info == "topo")
        .expect("the imported program is shown");
    let body: String = written.lines().skip(3).map(|l| format!("{l}\n")).collect();
    assert_eq!(body, shown.text, "the page shows the imported program");
    // The relay folder built from the program is the one the team started from, modulo
    // topoc's label and its canonical order: the same objects.
    for name in ["gateway", "upstream", "httproute"] {
        let old = fs::read_to_string(dir.join(format!("mgmt/{name}.yaml"))).expect("old");
        let old = topoc::yaml::parse(&old).expect("yaml");
        let kind = old["kind"].as_str().unwrap_or("").to_lowercase();
        let file = format!(
            "relay/mgmt/gloo-mesh/{kind}-{}.yaml",
            old["metadata"]["name"].as_str().unwrap_or("")
        );
        let new =
            topoc::yaml::parse(&fs::read_to_string(dir.join(&file)).expect(&file)).expect("yaml");
        assert_eq!(new["spec"]["kube"], old["spec"]["kube"], "{file}");
        assert_eq!(
            new["metadata"]["annotations"], old["metadata"]["annotations"],
            "{file}: the same distribution"
        );
    }
    // Excerpts of snapshots stay in step with them.
    for b in &blocks {
        if let Some(path) = b
            .info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("snapshot="))
        {
            let snapshot = fs::read_to_string(support::repo().join(path)).expect("snapshot");
            assert_eq!(b.text, snapshot, "docs/adopting.md shows {path}");
        }
    }
    let _ = fs::remove_dir_all(&dir);
}
