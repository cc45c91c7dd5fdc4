//! What each of the workspace's three crates ships to crates.io (`cargo
//! package --list`): what its build reads, its README and both licences, and
//! nothing of the repository's tests, scripts, CI or pictures.

use std::path::Path;
use std::process::Command;

/// The files `cargo package` would put in `package`'s `.crate`.
fn packaged(package: &str) -> Vec<String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let output = Command::new(env!("CARGO"))
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--offline",
            "-p",
            package,
        ])
        .current_dir(workspace)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo package --list -p {package}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn each_crate_ships_what_it_builds_from_and_its_licences() {
    for (package, needs) in [
        (
            "bevy_cognito_login",
            // The menu's Japanese font, and the notice its licence (OFL)
            // asks to travel with it.
            &[
                "src/lib.rs",
                "fonts/NotoSansJP-menu.otf",
                "fonts/OFL.txt",
                "CHANGELOG.md",
            ][..],
        ),
        (
            "cognito_login_client",
            &["src/lib.rs", "locales/en.txt", "locales/ja.txt"][..],
        ),
        (
            "cognito_login_backend",
            // The local stack reads its pool from the template.
            &["src/lib.rs", "src/bin/lambda.rs", "template.yaml"][..],
        ),
    ] {
        let files = packaged(package);
        for file in
            needs
                .iter()
                .chain(&["README.md", "LICENSE-MIT", "LICENSE-APACHE", "Cargo.toml"])
        {
            assert!(
                files.iter().any(|packaged| packaged == file),
                "{package} does not ship {file}: {files:?}"
            );
        }
        for file in &files {
            let repository_only = [
                "tests/",
                "scripts/",
                ".ci/",
                "docs/",
                "benches/",
                "examples/",
                "fuzz/",
            ]
            .iter()
            .any(|folder| file.starts_with(folder));
            assert!(!repository_only, "{package} ships {file}");
        }
    }
}

/// Each crate says what it is where crates.io and docs.rs look.
#[test]
fn each_manifest_has_the_metadata_crates_io_shows() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for manifest in ["Cargo.toml", "client/Cargo.toml", "backend/Cargo.toml"] {
        let text = std::fs::read_to_string(workspace.join(manifest)).unwrap();
        for key in [
            "description = ",
            "readme = ",
            "keywords = ",
            "categories = ",
            "documentation = ",
            "include = ",
            "[package.metadata.docs.rs]",
        ] {
            assert!(text.contains(key), "{manifest} has no {key}");
        }
        assert!(
            !text.contains("\"=0."),
            "{manifest} pins a dependency exactly, which blocks a game's patch updates"
        );
    }
}
