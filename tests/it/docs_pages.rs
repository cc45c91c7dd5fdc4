//! The docs pages agree with the code they show.

use std::fs;
use std::path::Path;

fn read(path: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The code blocks of `markdown` in language `lang` (its info string's
/// first word), in order.
fn blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut open: Option<String> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) if info.split(',').next() == Some(lang) => {
                open = Some(String::new());
            }
            (Some(_), Some("")) => found.push(open.take().unwrap()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    found
}

#[test]
fn the_first_game_page_is_the_minimal_example() {
    let page = read("docs/FIRST-GAME.md");
    let example = read("examples/minimal.rs");
    // The example's file comment names the repository's command; the
    // page's `src/main.rs` has none.
    let code: String = example
        .lines()
        .skip_while(|line| line.starts_with("//!") || line.is_empty())
        .map(|line| format!("{line}\n"))
        .collect();
    let rust = blocks(&page, "rust");
    assert_eq!(
        rust.first(),
        Some(&code),
        "docs/FIRST-GAME.md's src/main.rs"
    );
    // Its commands add the crates the example uses, with Bevy's version.
    let manifest = read("Cargo.toml");
    let bevy = manifest
        .lines()
        .find_map(|line| line.strip_prefix("bevy = { version = \""))
        .and_then(|rest| rest.split('"').next())
        .expect("the plugin's Bevy version");
    let commands = blocks(&page, "sh").concat();
    assert!(
        commands.contains(&format!("cargo add bevy@{bevy} bevy_cognito_login")),
        "{commands}"
    );
    assert!(
        commands.contains("cargo add cognito_login_backend --no-default-features --features local")
    );
    // The README and the guide link to it.
    for path in ["README.md", "docs/GUIDE.md"] {
        assert!(
            read(path).contains("FIRST-GAME.md"),
            "{path} links to the page"
        );
    }
}
