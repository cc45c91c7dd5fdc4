//! `KeychainStore` against real OS stores: a Secret Service (gnome-keyring,
//! unlocked, on a private D-Bus session) and the kernel keyutils store (in a
//! session keyring of its own), and the fallback from the first to the second.
//!
//! A test binary without the default harness: it runs each case in a child
//! process of itself inside the environment that case needs. Needs the
//! Debian packages `gnome-keyring dbus-x11 libsecret-tools keyutils`
//! (`scripts/test.sh` installs them); fails, never skips, without them.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant, UNIX_EPOCH};

use cognito_login_client::{KeychainStore, SessionStore, Tokens};

const CASE: &str = "KEYCHAIN_TEST_CASE";

fn tokens() -> Tokens {
    Tokens {
        access_token: "eyJ.access.sig".into(),
        id_token: format!("eyJ.{}.sig", "i".repeat(1500)).into(),
        refresh_token: Some("opaque-refresh-token".into()),
        expires_at: Some(UNIX_EPOCH + Duration::from_secs(1_900_000_000)),
    }
}

/// Saves, loads, replaces and clears a session; prints the timings.
fn round_trip(store: &KeychainStore) {
    let started = Instant::now();
    store.save(&tokens()).expect("save");
    let saved = started.elapsed();
    let started = Instant::now();
    let loaded = store.load().expect("load");
    let read = started.elapsed();
    assert_eq!(loaded, Some(tokens()));
    store
        .save(&Tokens {
            refresh_token: None,
            ..tokens()
        })
        .expect("replace");
    assert_eq!(store.load().unwrap().unwrap().refresh_token, None);
    store.clear().expect("clear");
    assert_eq!(store.load(), Ok(None));
    println!("{store:?}: save {saved:?}, load {read:?}");
}

fn inner(case: &str) {
    let namespace = format!("test-{}", std::process::id());
    match case {
        "secret-service" => {
            let store = zbus_secret_service_keyring_store::Store::new()
                .expect("the Secret Service answers");
            round_trip(&KeychainStore::new(
                store,
                "bevy_cognito_login tests",
                &namespace,
            ));
            let os = KeychainStore::os_store().unwrap();
            assert!(os.vendor().contains("Secret Service"), "{}", os.vendor());
        }
        "keyutils" => {
            let store = linux_keyutils_keyring_store::Store::new().expect("a session keyring");
            round_trip(&KeychainStore::new(
                store,
                "bevy_cognito_login tests",
                &namespace,
            ));
        }
        "fallback" => {
            let os =
                KeychainStore::os_store().expect("keyutils answers when no Secret Service does");
            assert!(os.vendor().contains("keyutils"), "{}", os.vendor());
            round_trip(&KeychainStore::new(
                os,
                "bevy_cognito_login tests",
                &namespace,
            ));
        }
        other => panic!("unknown case {other}"),
    }
}

fn require(tools: &[&str]) {
    for tool in tools {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output();
        assert!(
            found.is_ok_and(|out| out.status.success()),
            "`{tool}` is missing: install the Debian packages gnome-keyring dbus-x11 libsecret-tools keyutils \
             (scripts/test.sh does)"
        );
    }
}

/// Runs `case` in a child process: `sh -c script`, where the script ends by
/// executing this binary.
fn outer(case: &str, script: &str) -> bool {
    let home = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let status = Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(&exe)
        .env(CASE, case)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", home.path())
        .env_remove("DISPLAY")
        .status()
        .expect("sh runs");
    let passed = status.success();
    println!(
        "test keychain::{case} ... {}",
        if passed { "ok" } else { "FAILED" }
    );
    passed
}

fn main() -> ExitCode {
    if let Ok(case) = std::env::var(CASE) {
        inner(&case);
        return ExitCode::SUCCESS;
    }
    require(&["dbus-run-session", "gnome-keyring-daemon", "keyctl"]);
    let cases = [
        (
            "secret-service",
            // An unlocked login keyring on a private bus; no prompt can appear.
            "exec dbus-run-session -- sh -c 'printf test-password | gnome-keyring-daemon --foreground --unlock \
             --components=secrets >/dev/null 2>&1 & sleep 1; \"$0\"' \"$1\"",
        ),
        ("keyutils", "exec keyctl session - \"$1\""),
        (
            "fallback",
            "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent exec keyctl session - \"$1\"",
        ),
    ];
    let mut failed = 0;
    for (case, script) in cases {
        if !outer(case, script) {
            failed += 1;
        }
    }
    println!("\n{} passed, {failed} failed", cases.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
