//! The example game in a real window: Xvfb, a window manager, Mesa's software
//! Vulkan. A player signs up with the keyboard, confirms with the code the
//! local backend "sent", plays and quits, all on the direct user-pool
//! transport (`--user-pool`); the next launch, on the login routes, signs
//! them in from the keychain, and they sign out. Screenshots of the menu and of the
//! signed-in scene land in `target/smoke/`.
//!
//! A screen reader on the same desktop (AT-SPI) reads the menu and hears its
//! errors. "Continue in browser" opens the system browser (`$BROWSER`, here
//! a script that writes the URL down) at the embedded emulator's login page,
//! which the test fills in as the player would.
//!
//! Needs the Debian packages `xvfb openbox mesa-vulkan-drivers xdotool
//! imagemagick dbus-x11 gnome-keyring`, and for the screen reader
//! `at-spi2-core python3-gi gir1.2-atspi-2.0` (`scripts/test.sh` installs
//! them); fails, never skips, without them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cognito_login_backend::local::play_managed_login;
use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};
use cognito_login_client::{AuthRequest, AuthWorker, BackendConfig};

const TOOLS: [&str; 6] = [
    "Xvfb",
    "openbox",
    "xdotool",
    "import",
    "dbus-daemon",
    "gnome-keyring-daemon",
];
const PACKAGES: &str =
    "xvfb openbox mesa-vulkan-drivers xdotool imagemagick dbus-x11 gnome-keyring";

/// Kills the process when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Desktop {
    display: String,
    /// A private session bus with an unlocked Secret Service on it: the
    /// keychain the game remembers its session in.
    bus: String,
    dir: PathBuf,
    _xvfb: Running,
    _window_manager: Running,
    _bus: Running,
    _keyring: Running,
}

/// A screen reader's side of AT-SPI (`screen_reader.py`, in Debian's
/// python3 with python3-gi and gir1.2-atspi-2.0) on the desktop's bus.
fn screen_reader(desktop: &Desktop, verb: &str) -> Command {
    const PYTHON: &str = "/usr/bin/python3";
    let found = Command::new(PYTHON)
        .args(["-c", "import gi; gi.require_version('Atspi', '2.0')"])
        .status();
    assert!(
        found.is_ok_and(|status| status.success()),
        "{PYTHON} cannot load AT-SPI: install the Debian packages {A11Y_PACKAGES} (scripts/test.sh does)"
    );
    let mut command = Command::new(PYTHON);
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/screen_reader.py"
        ))
        .arg(verb)
        .env("DBUS_SESSION_BUS_ADDRESS", &desktop.bus)
        .env("HOME", &desktop.dir)
        .env("XDG_RUNTIME_DIR", &desktop.dir)
        .env_remove("DISPLAY");
    command
}

const A11Y_PACKAGES: &str = "at-spi2-core python3-gi gir1.2-atspi-2.0";

impl Desktop {
    fn start(dir: &Path) -> Self {
        for tool in TOOLS {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output();
            assert!(
                found.is_ok_and(|out| out.status.success()),
                "`{tool}` is missing: install the Debian packages {PACKAGES} (scripts/test.sh does)"
            );
        }
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1920x1200x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let number = first_line(&mut xvfb);
        let display = format!(":{number}");
        assert!(number.parse::<u32>().is_ok(), "Xvfb gave no display number");
        let window_manager = Command::new("openbox")
            .env("DISPLAY", &display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openbox starts");
        // The services it starts (the accessibility bus among them) keep
        // their sockets in this desktop's own directories.
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .env("HOME", dir)
            .env("XDG_RUNTIME_DIR", dir)
            .env_remove("DISPLAY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let address = first_line(&mut bus);
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", dir)
            .env("XDG_RUNTIME_DIR", dir)
            .env_remove("DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon starts");
        {
            use std::io::Write;
            let mut stdin = keyring.stdin.take().unwrap();
            stdin.write_all(b"smoke-test-keyring").unwrap();
        }
        // The game's first keychain call finds the Secret Service up.
        wait_for("the Secret Service", Duration::from_secs(30), || {
            let owned = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .output()
                .ok()?;
            String::from_utf8_lossy(&owned.stdout)
                .contains("boolean true")
                .then_some(())
        });
        Self {
            display,
            bus: address,
            dir: dir.to_owned(),
            _xvfb: Running(xvfb),
            _window_manager: Running(window_manager),
            _bus: Running(bus),
            _keyring: Running(keyring),
        }
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .env("DISPLAY", &self.display)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn key(&self, key: &str) {
        self.xdotool(&["key", key]);
        std::thread::sleep(Duration::from_millis(400));
    }

    fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "60", text]);
        std::thread::sleep(Duration::from_millis(400));
    }

    /// A screenshot of `window`, saved as `target/smoke/{name}.png`; returns
    /// how many distinct colours it has.
    fn screenshot(&self, window: &str, name: &str) -> usize {
        let ppm = self.dir.join(format!("{name}.ppm"));
        let status = Command::new("import")
            .env("DISPLAY", &self.display)
            .args(["-window", window])
            .arg(format!("ppm:{}", ppm.display()))
            .status()
            .unwrap();
        assert!(status.success(), "import failed");
        let png = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/smoke/{name}.png"));
        fs::create_dir_all(png.parent().unwrap()).unwrap();
        let _ = Command::new("convert").arg(&ppm).arg(&png).status();
        distinct_colours(&fs::read(&ppm).unwrap())
    }
}

/// The first line a child prints, trimmed.
fn first_line(child: &mut Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    let stdout = child.stdout.take().expect("a piped stdout");
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    line.trim().to_owned()
}

/// Distinct colours of a binary PPM (P6) image.
fn distinct_colours(ppm: &[u8]) -> usize {
    // Header: "P6", width, height, max value, each followed by whitespace.
    let mut fields = 0;
    let mut at = 0;
    while fields < 4 {
        while ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        while !ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields += 1;
    }
    let pixels = &ppm[at + 1..];
    let colours: std::collections::HashSet<&[u8]> = pixels.chunks_exact(3).collect();
    colours.len()
}

/// The game's log so far, without colour codes.
fn log(path: &Path) -> String {
    let raw = fs::read_to_string(path).unwrap_or_default();
    let mut clean = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            clean.push(c);
        }
    }
    clean
}

fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Builds the example game and returns its path. `--workspace` resolves
/// features as `cargo test --workspace` does, so under the README's test
/// command this finds the game that run already built instead of building
/// Bevy a second time; `--ignore-rust-version` as `scripts/cargo` passes
/// it to a nightly older than Bevy's declared Rust (harmless on a newer one).
fn game_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    // What cargo set for this test (its package's CARGO_MANIFEST_DIR,
    // CARGO_PKG_*, …) would look like a changed environment to crates that
    // read those at compile time (ring does), and rebuild them.
    for (name, _) in std::env::vars() {
        let set_for_the_test = [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
        ];
        if set_for_the_test
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(name);
        }
    }
    let output = command
        .args([
            "build",
            "--workspace",
            "--example",
            "game",
            "--ignore-rust-version",
        ])
        .args(["--message-format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "the example game does not build");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains("\"target\":{") && line.contains("\"name\":\"game\""))
        .filter_map(|line| line.split("\"executable\":\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(PathBuf::from)
        .next_back()
        .expect("cargo names the example's executable")
}

/// One run of the game with `args`, its log in `log_path`.
fn launch(desktop: &Desktop, dir: &Path, log_path: &Path, args: &[&str]) -> (Running, String) {
    let log_file = fs::File::create(log_path).unwrap();
    // The system browser: writes down the URL it is asked to open.
    let browser = dir.join("browser");
    fs::write(
        &browser,
        "#!/bin/sh\nprintf '%s' \"$1\" > \"$(dirname \"$0\")/opened-url\"\n",
    )
    .unwrap();
    fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let game = Running(
        Command::new(game_binary())
            .args(args)
            .env("DISPLAY", &desktop.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &desktop.bus)
            .env("HOME", dir)
            .env("XDG_RUNTIME_DIR", dir)
            .env("BEVY_ASSET_ROOT", env!("CARGO_MANIFEST_DIR"))
            .env("BEVY_COGNITO_LOGIN_DATA", dir.join("users.json"))
            // Its own keychain entries, shared by both launches.
            .env(
                "BEVY_COGNITO_LOGIN_NAMESPACE",
                format!("smoke test {}", std::process::id()),
            )
            .env("RUST_LOG", "info")
            .env("BROWSER", &browser)
            .env_remove("BEVY_COGNITO_LOGIN_URL")
            .env_remove("BEVY_COGNITO_LOGIN_POOL")
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("the example game starts"),
    );
    let window = wait_for("the game window", Duration::from_secs(120), || {
        let found = desktop.xdotool(&["search", "--name", "example game"]);
        found.lines().next().map(str::to_owned)
    });
    (game, window)
}

/// Closes the window and checks that the game exits cleanly, with no
/// password in its log.
fn close(desktop: &Desktop, mut game: Running, window: &str, log_path: &Path) {
    desktop.xdotool(&["key", "--window", window, "alt+F4"]);
    let status = wait_for("the game to exit", Duration::from_secs(60), || {
        game.0.try_wait().unwrap()
    });
    let log = log(log_path);
    assert!(status.success(), "the game exited with {status}: {log}");
    assert!(!log.contains("Secret-Pass-1"), "no password in the log");
    assert!(!log.contains("panicked"), "{log}");
}

/// Until a screenshot of `window` (saved as `name`) shows a drawn screen,
/// text and widgets, not a blank or half-presented frame: a busy machine
/// presents late.
fn drawn(desktop: &Desktop, window: &str, name: &str) {
    wait_for(&format!("{name} drawn"), Duration::from_secs(120), || {
        (desktop.screenshot(window, name) > 50).then_some(())
    });
}

fn wait_for_log(log_path: &Path, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !log(log_path).contains(line) {
        assert!(
            Instant::now() < deadline,
            "no {line:?} in the game's log:\n{}",
            log(log_path)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The element that has focus, as the screen reader hears it
/// (`role<TAB>name`; empty when none has).
fn focused(desktop: &Desktop) -> String {
    let out = screen_reader(desktop, "focused").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// Waits until the element named `name` has focus.
fn focus_on(desktop: &Desktop, name: &str) {
    wait_for(
        &format!("{name} to take focus"),
        Duration::from_secs(60),
        || (focused(desktop).split('\t').nth(1) == Some(name)).then_some(()),
    );
}

/// Presses Tab once and waits until the focus has moved: egui moves it
/// once a frame whatever the number of presses, so on a slow frame two
/// presses a fixed time apart could count as one.
fn tab(desktop: &Desktop) {
    let before = focused(desktop);
    desktop.xdotool(&["key", "Tab"]);
    wait_for(
        &format!("the focus to move on from {before:?}"),
        Duration::from_secs(60),
        || (focused(desktop) != before).then_some(()),
    );
}

/// From the sign-in screen, its Username focused: "Create account", the
/// sign-up form for `username`, and the code from the dev mailbox's line
/// in the game's log. The form then signs in with the password it kept,
/// "Remember me" on.
fn sign_up(desktop: &Desktop, log_path: &Path, username: &str) {
    focus_on(desktop, "Username");
    // Past Password, "Show password", "Remember me", "Sign in", "Continue
    // in browser", the guest's button and "Forgot password?".
    for _ in 0..8 {
        tab(desktop);
    }
    focus_on(desktop, "Create account");
    desktop.key("Return");
    // The sign-up screen: Username has focus.
    focus_on(desktop, "Username");
    desktop.type_text(username);
    tab(desktop);
    desktop.type_text(&format!("{username}@example.com"));
    tab(desktop);
    desktop.type_text("Secret-Pass-1");
    tab(desktop);
    focus_on(desktop, "Repeat password");
    desktop.type_text("Secret-Pass-1");
    desktop.key("Return");
    let code = wait_for("the dev mailbox code", Duration::from_secs(60), || {
        log(log_path)
            .lines()
            .find(|line| {
                line.contains("dev mailbox") && line.contains(&format!("username={username} "))
            })
            .and_then(|line| line.split("code=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
    });
    // The confirm screen: the first empty field, Code, has focus.
    focus_on(desktop, "Code");
    desktop.type_text(&code);
    desktop.key("Return");
}

#[test]
fn a_player_signs_up_plays_and_is_signed_in_again_at_the_next_launch() {
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::start(dir.path());
    // The keys are pressed as the screen reader sees the focus move.
    let enabled = screen_reader(&desktop, "enable").status().unwrap();
    assert!(enabled.success(), "accessibility could not be turned on");
    let first_log = dir.path().join("first.log");
    // The first launch calls the emulator's user pool directly; the second
    // goes through the login routes. Both share the keychain entry.
    let (game, window) = launch(&desktop, dir.path(), &first_log, &["--user-pool"]);

    // The menu is drawn once the window has text and widgets in it (a
    // blank window has one colour).
    drawn(&desktop, &window, "menu");
    std::thread::sleep(Duration::from_secs(1));
    drawn(&desktop, &window, "menu");
    desktop.xdotool(&["windowactivate", "--sync", &window]);
    focus_on(&desktop, "Username");

    sign_up(&desktop, &first_log, "smoke");
    wait_for_log(&first_log, "signed in username=smoke restored=false");
    // The pool's pre token generation trigger gave the player a role, in
    // an ID token the game verified.
    wait_for_log(&first_log, "the player's role role=player");
    // The game reads the player's best score from the backend's profile.
    wait_for_log(&first_log, "read the best score best=0");
    std::thread::sleep(Duration::from_secs(1));
    drawn(&desktop, &window, "signed-in");

    // Play a little, then quit without signing out.
    desktop.xdotool(&["keydown", "Right"]);
    std::thread::sleep(Duration::from_millis(600));
    desktop.xdotool(&["keyup", "Right"]);
    close(&desktop, game, &window, &first_log);

    // The next launch signs the player in from the keychain, no menu needed.
    let second_log = dir.path().join("second.log");
    let (game, window) = launch(&desktop, dir.path(), &second_log, &[]);
    wait_for_log(&second_log, "signed in username=smoke restored=true");
    std::thread::sleep(Duration::from_secs(1));
    desktop.xdotool(&["windowactivate", "--sync", &window]);
    std::thread::sleep(Duration::from_millis(500));
    // The HUD's "Account" (after "Sign out") opens the account screens,
    // which read the account from the server.
    tab(&desktop);
    tab(&desktop);
    focus_on(&desktop, "Account");
    desktop.key("Return");
    wait_for_log(&second_log, "read the account username=smoke");
    std::thread::sleep(Duration::from_millis(500));
    drawn(&desktop, &window, "account");
    // Sign out with the account screen's "Sign out", after the top bar's
    // language picker and the screen's "Change password" and "Change
    // email".
    for _ in 0..4 {
        tab(&desktop);
    }
    focus_on(&desktop, "Sign out");
    desktop.key("Return");
    wait_for_log(&second_log, "signed out username=smoke");
    close(&desktop, game, &window, &second_log);

    // In Japanese, at the window's size and larger: the shipped font draws
    // it, and no text is cut off (the plugin warns in debug builds when
    // the menu's text does not fit its panel).
    let third_log = dir.path().join("third.log");
    let (game, window) = launch(&desktop, dir.path(), &third_log, &["--lang", "ja"]);
    drawn(&desktop, &window, "menu-ja");
    std::thread::sleep(Duration::from_secs(1));
    desktop.screenshot(&window, "menu-ja");
    desktop.xdotool(&["windowsize", "--sync", &window, "1600", "1000"]);
    std::thread::sleep(Duration::from_secs(2));
    drawn(&desktop, &window, "menu-ja-large");
    close(&desktop, game, &window, &third_log);

    // A guest: "Play as guest" (after "Continue in browser"), and the
    // guest's best score read from the local player data, signed with the
    // local identity pool's credentials.
    let fourth_log = dir.path().join("fourth.log");
    let (game, window) = launch(&desktop, dir.path(), &fourth_log, &[]);
    drawn(&desktop, &window, "guest-menu");
    desktop.xdotool(&["windowactivate", "--sync", &window]);
    focus_on(&desktop, "Username");
    for _ in 0..6 {
        tab(&desktop);
    }
    focus_on(&desktop, "Play as guest");
    desktop.key("Return");
    wait_for_log(&fourth_log, "a guest plays");
    wait_for_log(&fourth_log, "read the kept best score best=0 player=false");
    // The first coin is on the guest's row: → collects it, and the score
    // goes to the guest's row.
    desktop.xdotool(&["keydown", "Right"]);
    wait_for_log(&fourth_log, "kept the guest's best score best=1");
    desktop.xdotool(&["keyup", "Right"]);

    // The guest signs up from the top bar: "Create account or sign in"
    // opens the sign-in screens over the game.
    wait_for(
        "the top bar's \"Create account or sign in\"",
        Duration::from_secs(60),
        || {
            let name = focused(&desktop);
            if name.split('\t').nth(1) == Some("Create account or sign in") {
                return Some(());
            }
            tab(&desktop);
            None
        },
    );
    desktop.key("Return");
    // The same screen, its "Play as guest" now "Back to the game".
    sign_up(&desktop, &fourth_log, "guestly");
    wait_for_log(&fourth_log, "signed in username=guestly restored=false");
    wait_for_log(&fourth_log, "the guest's identity is the player's now");
    // The player's credentials read the same row: the guest's best score
    // is still there, now the player's.
    wait_for_log(&fourth_log, "read the kept best score best=1 player=true");
    drawn(&desktop, &window, "guest-signed-up");
    close(&desktop, game, &window, &fourth_log);
    for path in [&first_log, &second_log, &third_log, &fourth_log] {
        let log = log(path);
        assert!(
            !log.contains("does not fit"),
            "the menu's text is cut off: {log}"
        );
    }
}

/// Quitting with the pointer moving over the menu's fields and buttons, so
/// that egui changes the window's cursor while the window closes: the game
/// exits with status 0 every time (it used to panic now and then, see
/// `window_close`).
#[test]
fn the_game_exits_cleanly_every_time_its_window_closes() {
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::start(dir.path());
    for run in 0..4 {
        let log_path = dir.path().join(format!("close-{run}.log"));
        let (game, window) = launch(&desktop, dir.path(), &log_path, &[]);
        drawn(&desktop, &window, "closing");
        // Up and down the middle of the window, across fields, buttons and
        // the space between them, until the game has exited.
        let _pointer = Running(
            Command::new("sh")
                .args([
                    "-c",
                    "while :; do for y in 180 240 300 360 420 480; do \
                     xdotool mousemove --window \"$1\" 480 $y; done; done",
                    "pointer",
                    &window,
                ])
                .env("DISPLAY", &desktop.display)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        close(&desktop, game, &window, &log_path);
    }
}

/// The menu in a real window, as a screen reader on the desktop's AT-SPI bus
/// reads it: every field, button and link by name and role, and the error
/// announced when it appears.
#[test]
fn a_screen_reader_reads_the_menu_and_hears_its_errors() {
    use std::io::BufRead;

    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::start(dir.path());
    let enabled = screen_reader(&desktop, "enable").status().unwrap();
    assert!(enabled.success(), "accessibility could not be turned on");
    let mut listener = screen_reader(&desktop, "listen")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(listener.stdout.take().unwrap());
    let _listener = Running(listener);
    let (heard, hear) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = heard.send(line);
        }
    });
    wait_for(
        "the screen reader to listen",
        Duration::from_secs(30),
        || {
            hear.try_iter()
                .any(|line| line == "listening")
                .then_some(())
        },
    );

    let log_path = dir.path().join("game.log");
    let (game, window) = launch(&desktop, dir.path(), &log_path, &["--lang", "en"]);
    let tree = wait_for(
        "the menu in the accessible tree",
        Duration::from_secs(120),
        || {
            let out = screen_reader(&desktop, "tree").output().unwrap();
            let tree = String::from_utf8_lossy(&out.stdout).into_owned();
            tree.contains("push button\tSign in").then_some(tree)
        },
    );
    for node in [
        "entry\tUsername",
        "password text\tPassword",
        "check box\tShow password",
        "check box\tRemember me",
        "push button\tSign in",
        "push button\tContinue in browser",
        "push button\tPlay as guest",
        "link\tForgot password?",
        "link\tCreate account",
        "link\tI have a code",
        "combo box\tLanguage",
    ] {
        assert!(
            tree.lines().any(|line| line.trim_start() == node),
            "no {node:?} in the tree:\n{tree}"
        );
    }
    for line in tree.lines() {
        let (role, name) = line.trim_start().split_once('\t').unwrap_or_default();
        let control = [
            "entry",
            "password text",
            "check box",
            "push button",
            "link",
            "combo box",
        ];
        assert!(
            !control.contains(&role) || !name.trim().is_empty(),
            "a nameless {role}:\n{tree}"
        );
    }

    // "Sign in" with no username: the error is announced.
    desktop.xdotool(&["windowactivate", "--sync", &window]);
    std::thread::sleep(Duration::from_millis(500));
    desktop.key("Return");
    wait_for("the error's announcement", Duration::from_secs(30), || {
        hear.try_iter()
            .any(|line| line == "announcement\tEnter your username.")
            .then_some(())
    });
    close(&desktop, game, &window, &log_path);
}

#[test]
fn continue_in_browser_signs_the_player_in_through_the_login_page() {
    let dir = tempfile::tempdir().unwrap();
    // A player of the game's local backend, made before the game starts.
    {
        let local = LocalStack::spawn(LocalConfig {
            data_file: Some(dir.path().join("users.json")),
            ..LocalConfig::default()
        })
        .unwrap();
        let transport = BackendConfig::from(local.endpoints().user_pool_config())
            .transport()
            .unwrap();
        let worker = AuthWorker::spawn(transport).unwrap();
        let ask = |request| {
            let id = worker.send(request);
            let reply = worker
                .replies()
                .recv_timeout(Duration::from_secs(20))
                .unwrap();
            assert_eq!(reply.id, id);
            reply.result.expect("answered")
        };
        ask(AuthRequest::SignUp {
            username: "wanderer".into(),
            password: "Secret-Pass-1".into(),
            email: "wanderer@example.com".into(),
            locale: None,
        });
        let code = local
            .mailbox()
            .unwrap()
            .latest_code("wanderer", CodePurpose::ConfirmSignUp)
            .unwrap();
        ask(AuthRequest::ConfirmSignUp {
            username: "wanderer".into(),
            code: code.into(),
        });
    }
    let desktop = Desktop::start(dir.path());
    let enabled = screen_reader(&desktop, "enable").status().unwrap();
    assert!(enabled.success(), "accessibility could not be turned on");
    let log_path = dir.path().join("game.log");
    let (game, window) = launch(&desktop, dir.path(), &log_path, &[]);
    drawn(&desktop, &window, "browser-menu");
    desktop.xdotool(&["windowactivate", "--sync", &window]);
    focus_on(&desktop, "Username");

    // Username has focus; Tab past Password, "Show password", "Remember me"
    // and "Sign in" to "Continue in browser".
    for _ in 0..5 {
        tab(&desktop);
    }
    focus_on(&desktop, "Continue in browser");
    desktop.key("Return");
    let opened = dir.path().join("opened-url");
    let authorize = wait_for("the browser to open", Duration::from_secs(60), || {
        fs::read_to_string(&opened)
            .ok()
            .filter(|url| !url.is_empty())
    });
    assert!(
        authorize.contains("/logout?response_type=code&"),
        "a fresh login: {authorize}"
    );
    let redirect = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(play_managed_login(&authorize, "wanderer", "Secret-Pass-1"))
        .expect("the login page signs the player in");
    let (status, _, page) = crate::support::get(&redirect);
    assert!(status.contains("200"), "{status}");
    assert!(page.contains("return to the game"), "{page}");
    wait_for_log(&log_path, "signed in username=wanderer restored=false");
    close(&desktop, game, &window, &log_path);
}
