//! What each feature of the backend compiles: the Lambda build
//! (`--no-default-features --features lambda`, as `scripts/deploy.sh` runs
//! it) brings neither the emulator nor the local server.

use std::process::Command;

fn normal_dependencies(features: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "cognito_login_backend",
            "--no-default-features",
        ])
        .args(["--features", features])
        .args([
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_lambda_build_compiles_no_emulator_and_no_local_server() {
    let lambda = normal_dependencies("lambda");
    assert!(
        lambda.iter().any(|name| name == "lambda_http"),
        "{lambda:?}"
    );
    for absent in ["cognitox", "axum"] {
        assert!(
            !lambda.iter().any(|name| name == absent),
            "{absent} is in the Lambda build"
        );
    }
    // The local stack does bring them, so the check above can fail.
    let local = normal_dependencies("local");
    for present in ["cognitox", "axum"] {
        assert!(local.iter().any(|name| name == present), "{local:?}");
    }
}
