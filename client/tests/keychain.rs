//! `KeychainStore` against real OS stores: a Secret Service (gnome-keyring,
//! unlocked, on a private D-Bus session), and the fallback where none
//! answers, files in the user's data folder, across a restart of the game:
//! one entry per session (split where entries are small), a corrupt entry, a
//! planted session that the restore's check refuses, remembered devices
//! that a sign-out keeps.
//!
//! A test binary without the default harness: it runs each case in a child
//! process of itself inside the environment that case needs. Needs the
//! Debian packages `gnome-keyring dbus-x11 libsecret-tools`
//! (`scripts/test.sh` installs them); fails, never skips, without them.

use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Instant;

use cognito_login_client::{
    ApiGatewayConfig, ApiGatewayTransport, AuthError, DeviceChange, KeychainStore,
    RememberedDevice, RememberedDevices, SessionStore, StoreError, TokenCheck, Tokens, Transport,
};
use keyring_core::CredentialStore;

const CASE: &str = "KEYCHAIN_TEST_CASE";

const SERVICE: &str = "bevy_cognito_login tests";

fn tokens() -> Tokens {
    Tokens::new(
        "eyJ.access.sig".into(),
        format!("eyJ.{}.sig", "i".repeat(1500)).into(),
        Some("opaque-refresh-token".into()),
        None,
        std::time::SystemTime::now(),
    )
}

/// The raw entry `name` of the session store in `namespace`.
fn raw(store: &Arc<CredentialStore>, namespace: &str, name: &str) -> Option<Vec<u8>> {
    store
        .build(&format!("{SERVICE} ({namespace})"), name, None)
        .unwrap()
        .get_secret()
        .ok()
}

/// Saves, loads, replaces and clears a session; prints the timings. Then
/// the entry format: one entry, a split one where entries are small, a
/// corrupt entry reported and replaced.
fn round_trip(os: &Arc<CredentialStore>, namespace: &str) {
    let store = KeychainStore::new(os.clone(), SERVICE, namespace);
    let started = Instant::now();
    store.save(&tokens()).expect("save");
    let saved = started.elapsed();
    let started = Instant::now();
    let loaded = store.load().expect("load");
    let read = started.elapsed();
    assert_eq!(loaded, Some(tokens()));
    store
        .save(&{
            let mut tokens = tokens();
            tokens.refresh_token = None;
            tokens
        })
        .expect("replace");
    assert_eq!(store.load().unwrap().unwrap().refresh_token, None);
    store.clear().expect("clear");
    assert_eq!(store.load(), Ok(None));
    println!("{store:?}: save {saved:?}, load {read:?}");

    // One entry holds the whole session: nothing else is written.
    store.save(&tokens()).unwrap();
    assert!(raw(os, namespace, "session").is_some());
    for name in [
        "access-token",
        "id-token",
        "refresh-token",
        "expires-at",
        "session.1",
    ] {
        assert_eq!(raw(os, namespace, name), None, "{name}");
    }
    // Where entries are small (Windows: 2560 bytes), the session is split
    // and still loads whole.
    let small = KeychainStore::new(os.clone(), SERVICE, namespace).with_entry_limit(1024);
    small.save(&tokens()).unwrap();
    assert!(raw(os, namespace, "session.2").is_some());
    assert_eq!(small.load(), Ok(Some(tokens())));
    // A corrupt entry is reported, never a panic, and replaced by the next save.
    os.build(&format!("{SERVICE} ({namespace})"), "session", None)
        .unwrap()
        .set_secret(b"{\"access\":")
        .unwrap();
    assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
    store.save(&tokens()).unwrap();
    assert_eq!(store.load(), Ok(Some(tokens())));
    store.clear().unwrap();
    for name in ["session", "session.1", "session.2"] {
        assert_eq!(raw(os, namespace, name), None, "{name} is cleared");
    }
    planted_sessions_are_refused(&store);
    devices_outlive_the_session(os, &store, namespace);
}

/// The device password, as the monitor must never see it.
const DEVICE_PASSWORD: &str = "device-password-never-on-the-bus";

/// A remembered device is an entry of its own: a sign-out's clear keeps
/// it, an empty set of devices leaves no entry.
fn devices_outlive_the_session(os: &Arc<CredentialStore>, store: &KeychainStore, namespace: &str) {
    let device: RememberedDevice = serde_json::from_value(serde_json::json!({
        "key": "eu-west-1_d", "group_key": "-g", "password": DEVICE_PASSWORD}))
    .unwrap();
    let mut devices = RememberedDevices::default();
    devices.apply(&DeviceChange::Remember {
        account: "4f1c-ada".into(),
        names: vec!["ada".into()],
        device: device.clone(),
    });
    store.save(&tokens()).unwrap();
    store.save_devices(&devices).unwrap();
    store.clear().unwrap();
    assert_eq!(store.load(), Ok(None));
    let loaded = store.load_devices().unwrap();
    assert_eq!(loaded.for_sign_in("ADA"), Some(&device));
    store.save_devices(&RememberedDevices::default()).unwrap();
    assert_eq!(raw(os, namespace, "devices"), None);
}

/// A session planted in the keychain (tokens nobody signed) loads whole, and
/// the check every restore goes through refuses it.
fn planted_sessions_are_refused(store: &KeychainStore) {
    use base64::Engine as _;
    let encode = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let header = encode(r#"{"alg":"RS256","kid":"planted","typ":"JWT"}"#);
    let claims = |token_use: &str| {
        encode(&format!(
            r#"{{"sub":"mallory","iss":"{ISSUER}","aud":"client","client_id":"client","token_use":"{token_use}","exp":4102444800}}"#
        ))
    };
    let mut planted = Tokens::new(
        format!("{header}.{}.c2ln", claims("access")).into(),
        format!("{header}.{}.c2ln", claims("id")).into(),
        None,
        None,
        std::time::SystemTime::now(),
    );
    planted.expires_at = None;
    store.save(&planted).unwrap();
    let loaded = store.load().unwrap().expect("the planted session loads");
    assert_eq!(loaded, planted);

    // The pool publishes its keys; none of them signed the planted tokens.
    let jwks = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", jwks.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut stream in jwks.incoming().flatten() {
            let _ = stream.read(&mut [0u8; 4096]);
            let body = r#"{"keys":[]}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let transport = ApiGatewayTransport::new(ApiGatewayConfig::new(
        &url,
        TokenCheck::new(ISSUER, "client").with_jwks_url(format!("{url}/jwks.json")),
    ))
    .unwrap();
    let checked = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(transport.check_stored(loaded));
    assert!(
        matches!(checked, Err(AuthError::InvalidToken(_))),
        "{checked:?}"
    );
    store.clear().unwrap();
}

/// Sessions saved by the store of earlier versions
/// (`dbus-secret-service-keyring-store`) are found by this crate's store,
/// and the other way round, so an update keeps players signed in.
fn earlier_versions_agree(os: &Arc<CredentialStore>, namespace: &str) {
    let earlier: Arc<CredentialStore> =
        dbus_secret_service_keyring_store::Store::new().expect("the earlier store connects");
    let ours = KeychainStore::new(os.clone(), SERVICE, namespace);
    let theirs = KeychainStore::new(earlier, SERVICE, namespace);
    theirs.save(&tokens()).unwrap();
    assert_eq!(ours.load(), Ok(Some(tokens())));
    let mut replaced = tokens();
    replaced.refresh_token = Some("replaced-refresh-token".into());
    ours.save(&replaced).unwrap();
    assert_eq!(theirs.load(), Ok(Some(replaced)));
    ours.clear().unwrap();
    assert_eq!(theirs.load(), Ok(None));
}

/// `dbus-monitor` on the test's private bus: everything a process of the
/// player's could watch.
struct BusMonitor {
    child: std::process::Child,
    log: tempfile::NamedTempFile,
}

impl BusMonitor {
    fn start() -> Self {
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new("dbus-monitor")
            .arg("--session")
            .stdout(log.reopen().unwrap())
            .spawn()
            .expect("dbus-monitor runs");
        let started = Instant::now();
        while std::fs::read_to_string(log.path()).unwrap().is_empty() {
            assert!(
                started.elapsed().as_secs() < 10,
                "dbus-monitor never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Self { child, log }
    }

    /// The monitor saw the store's calls, and no token in them: secrets
    /// cross the bus encrypted.
    fn assert_no_secret_seen(mut self) {
        // The monitor prints on its own thread: until it has printed every
        // call, with a deadline.
        let calls = ["CreateItem", "GetSecret", "SearchItems", "Delete"];
        let started = Instant::now();
        while started.elapsed().as_secs() < 10 {
            let seen = std::fs::read_to_string(self.log.path()).unwrap();
            if calls.iter().all(|call| seen.contains(call)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let seen = std::fs::read_to_string(self.log.path()).unwrap();
        for call in calls {
            assert!(seen.contains(call), "the monitor saw no {call}");
        }
        // Attributes travel in the clear, and the monitor prints them: a
        // secret sent the same way would be found below.
        assert!(seen.contains(SERVICE), "the monitor printed no attribute");
        for secret in [
            "opaque-refresh-token",
            "eyJ.access.sig",
            "iiiiiiii",
            DEVICE_PASSWORD,
        ] {
            assert!(
                !seen.contains(secret),
                "{secret} crossed the bus in the clear"
            );
        }
    }
}

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test";

fn inner(case: &str) {
    let namespace = format!("test-{}", std::process::id());
    match case {
        "secret-service" => {
            let os = KeychainStore::os_store().expect("the Secret Service answers");
            assert!(os.vendor().contains("Secret Service"), "{}", os.vendor());
            let monitor = BusMonitor::start();
            round_trip(&os, &namespace);
            monitor.assert_no_secret_seen();
            earlier_versions_agree(&os, &namespace);
        }
        "fallback" => {
            let os = KeychainStore::os_store().expect("files when no Secret Service answers");
            assert!(os.vendor().contains("file store"), "{}", os.vendor());
            let data = std::env::var("XDG_DATA_HOME").unwrap();
            assert_eq!(os.id(), format!("{data}/cognito-login"));
            round_trip(&os, &namespace);
            // For the next launch.
            KeychainStore::new(os, SERVICE, "restart")
                .save(&tokens())
                .unwrap();
        }
        "after-restart" => {
            let os = KeychainStore::os_store().expect("files when no Secret Service answers");
            let store = KeychainStore::new(os, SERVICE, "restart");
            assert_eq!(
                store.load(),
                Ok(Some(tokens())),
                "the session outlived its process"
            );
            store.clear().unwrap();
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
            "`{tool}` is missing: install the Debian packages gnome-keyring dbus-x11 libsecret-tools \
             (scripts/test.sh does)"
        );
    }
}

/// Runs `case` in a child process with `home` as its home: `sh -c script`,
/// where the script ends by executing this binary.
fn outer(case: &str, script: &str, home: &tempfile::TempDir) -> bool {
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
    require(&[
        "dbus-run-session",
        "dbus-monitor",
        "dbus-send",
        "gnome-keyring-daemon",
    ]);
    // No Secret Service: no bus at all.
    let no_bus = "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent exec \"$1\"";
    let cases = [
        (
            "secret-service",
            // An unlocked login keyring on a private bus; no prompt can appear.
            // It is used once it owns its name on the bus (within 20 s).
            "exec dbus-run-session -- sh -c 'printf test-password | gnome-keyring-daemon --foreground --unlock \
             --components=secrets >/dev/null 2>&1 & for _ in $(seq 200); do \
             dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
             org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q true && break; \
             sleep 0.1; done; \"$0\"' \"$1\"",
        ),
        ("fallback", no_bus),
        // The same home, a new process: the game launched again.
        ("after-restart", no_bus),
    ];
    let home = tempfile::tempdir().unwrap();
    let mut failed = 0;
    for (case, script) in cases {
        if !outer(case, script, &home) {
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
