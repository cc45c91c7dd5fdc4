//! Browser sign-in through the plugin, in headless Apps against the local
//! backend's managed login over real loopback HTTP: the test plays the
//! browser the client opens. The session that results is an ordinary one
//! (kept, restored, signed out), its sign-out ends the browser's session,
//! and a wait nobody finishes ends without holding up the game.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{AuthAction, AuthError, BrowserErrorKind, SIGNED_OUT_PATH};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::{MemoryStore, TestApp};
use bevy_cognito_login::{AuthCommandError, SessionSettings};
use cognito_login_backend::local::play_managed_login;
use cognito_login_backend::{BackgroundStack, CodePurpose, LocalConfig, LocalStack};

use crate::support;

const PASSWORD: &str = "Secret-Pass-1";

/// A local backend whose app client redirects to a port of this test's own.
fn backend() -> BackgroundStack {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    LocalStack::spawn(LocalConfig {
        redirect_port: Some(port),
        ..LocalConfig::default()
    })
    .expect("the local backend starts")
}

/// The failures the plugin reported.
#[derive(Resource, Default)]
struct Failed(Vec<AuthFailed>);

/// An App with browser sign-in over `backend`, sessions kept in `store`;
/// the "browser" hands each URL it is asked to open to the test.
fn app(
    backend: &BackgroundStack,
    store: &Arc<MemoryStore>,
    timeout: Duration,
) -> (App, Receiver<String>) {
    let endpoints = backend.endpoints();
    let (opened, urls) = channel();
    let login = endpoints
        .managed_login()
        .with_timeout(timeout)
        .with_browser(move |url| {
            let _ = opened.send(url.to_owned());
            Ok(())
        });
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(
            CognitoLoginPlugin::new(endpoints.user_pool_config())
                .without_menu()
                .with_browser_sign_in(login)
                .with_session(SessionSettings {
                    store: Some(store.clone()),
                    ..SessionSettings::default()
                }),
        )
        .init_resource::<Failed>()
        .add_systems(
            Update,
            |mut failed: ResMut<Failed>, mut messages: MessageReader<AuthFailed>| {
                failed.0.extend(messages.read().cloned());
            },
        );
    app.update_until("the restore", |app| {
        app.auth_state() != AuthState::Restoring
    });
    (app, urls)
}

/// Updates `app` until the client opens a URL.
fn opened(app: &mut App, urls: &Receiver<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(url) = urls.try_recv() {
            return url;
        }
        assert!(Instant::now() < deadline, "no URL was opened");
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A confirmed player of `backend`, made through `app`.
fn player(app: &mut App, backend: &BackgroundStack, name: &'static str) {
    app.auth(move |auth| auth.sign_up(name, format!("{name}@example.com"), PASSWORD))
        .unwrap();
    app.update_until_idle();
    let code = backend
        .mailbox()
        .unwrap()
        .latest_code(name, CodePurpose::ConfirmSignUp)
        .expect("a confirmation code");
    app.auth(move |auth| auth.confirm_sign_up(name, code))
        .unwrap();
    app.update_until_idle();
}

#[test]
fn a_browser_sign_in_is_an_ordinary_session_and_its_sign_out_ends_the_browsers() {
    let backend = backend();
    let store = MemoryStore::new();
    let (mut app, urls) = app(&backend, &store, Duration::from_secs(60));
    player(&mut app, &backend, "brow");

    app.auth(|auth| auth.sign_in_with_browser(BrowserRequest::default()))
        .unwrap();
    assert_eq!(app.auth(|auth| auth.running()), Some(AuthAction::SignIn));
    let authorize = opened(&mut app, &urls);
    let redirect = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(play_managed_login(&authorize, "brow", PASSWORD))
        .expect("the login page signs the player in");
    // The listener answers on the worker's thread: no frame is needed.
    let (status, _, page) = support::get(&redirect);
    assert!(status.contains("200"), "{status}");
    assert!(page.contains("return to the game"), "{page}");
    app.update_until("SignedIn", |app| app.auth_state() == AuthState::SignedIn);

    let session = app.world().resource::<AuthSession>().clone();
    assert_eq!(session.username, "brow");
    assert!(session.from_browser);
    // The keychain's thread keeps it.
    app.update_until("the session kept", |_| store.stored().is_some());
    let stored = store.stored().expect("the session is kept");
    assert!(stored.from_browser, "kept as a browser session");

    // The next launch restores it, still a browser session.
    drop(app);
    let (mut next_launch, next_urls) = self::app(&backend, &store, Duration::from_secs(60));
    assert_eq!(next_launch.auth_state(), AuthState::SignedIn, "restored");
    assert!(next_launch.world().resource::<AuthSession>().from_browser);

    // Its sign-out revokes the tokens and ends the browser's session: the
    // browser goes to the managed login's /logout and comes back to the
    // game's page.
    next_launch.auth(|auth| auth.sign_out()).unwrap();
    next_launch.update();
    assert_eq!(next_launch.auth_state(), AuthState::SignedOut);
    let logout = opened(&mut next_launch, &next_urls);
    assert!(
        logout.starts_with(&format!("{}/logout?", backend.endpoints().cognito_endpoint)),
        "{logout}"
    );
    let (status, back, _) = support::get(&logout);
    assert!(status.contains("302"), "{status}");
    let back = back.expect("the managed login sends the browser back");
    assert!(back.ends_with(SIGNED_OUT_PATH), "{back}");
    let (_, _, page) = support::get(&back);
    assert!(page.contains("You are signed out"), "{page}");
    next_launch.update_until("the session forgotten", |_| store.stored().is_none());

    // A password sign-in's sign-out opens no browser.
    next_launch
        .auth(|auth| auth.sign_in("brow", PASSWORD))
        .unwrap();
    next_launch.update_until("SignedIn", |app| app.auth_state() == AuthState::SignedIn);
    assert!(!next_launch.world().resource::<AuthSession>().from_browser);
    next_launch.auth(|auth| auth.sign_out()).unwrap();
    next_launch.update_for(Duration::from_millis(200));
    assert_eq!(next_urls.try_recv().ok(), None);
}

#[test]
fn a_browser_sign_in_nobody_finishes_ends_and_frees_the_game() {
    let backend = backend();
    let store = MemoryStore::new();
    let (mut app, urls) = app(&backend, &store, Duration::from_millis(300));

    app.auth(|auth| auth.sign_in_with_browser(BrowserRequest::default()))
        .unwrap();
    opened(&mut app, &urls);
    assert_eq!(
        app.auth(|auth| auth.sign_in("someone", PASSWORD)),
        Err(AuthCommandError::Busy(AuthAction::SignIn)),
        "one sign-in at a time"
    );
    app.update_until("the wait ends", |app| {
        !app.world().resource::<Failed>().0.is_empty()
    });
    let failed = app.world_mut().resource_mut::<Failed>().0.remove(0);
    assert_eq!(failed.action, AuthAction::SignIn);
    assert!(
        matches!(
            failed.error,
            AuthError::Browser {
                kind: BrowserErrorKind::TimedOut,
                ..
            }
        ),
        "{:?}",
        failed.error
    );
    assert_eq!(
        app.auth(|auth| auth.running()),
        None,
        "nothing waits any more"
    );

    // A wait the player cancels ends at once.
    let (mut app, urls) = self::app(&backend, &store, Duration::from_secs(60));
    app.auth(|auth| auth.sign_in_with_browser(BrowserRequest::default()))
        .unwrap();
    opened(&mut app, &urls);
    let cancelled_at = Instant::now();
    app.auth(|auth| auth.cancel_browser_sign_in());
    app.update_until("the cancel", |app| {
        !app.world().resource::<Failed>().0.is_empty()
    });
    assert!(cancelled_at.elapsed() < Duration::from_secs(5));
    assert_eq!(
        app.world().resource::<Failed>().0[0].error,
        AuthError::Cancelled
    );
    assert_eq!(app.auth(|auth| auth.running()), None);
    assert_eq!(app.auth_state(), AuthState::SignedOut);
}

#[test]
fn without_browser_sign_in_the_command_says_so() {
    let backend = backend();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin)).add_plugins(
        CognitoLoginPlugin::new(backend.endpoints().user_pool_config())
            .without_menu()
            .without_session(),
    );
    app.update();
    assert!(matches!(
        app.auth(|auth| auth.sign_in_with_browser(BrowserRequest::default())),
        Err(AuthCommandError::NoBrowserSignIn(_))
    ));
}

/// Signs `name` in through the browser in `app`, playing the browser.
fn browser_sign_in(app: &mut App, urls: &Receiver<String>, name: &'static str) {
    app.auth(|auth| auth.sign_in_with_browser(BrowserRequest::default()))
        .unwrap();
    let authorize = opened(app, urls);
    let redirect = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(play_managed_login(&authorize, name, PASSWORD))
        .expect("the login page signs the player in");
    support::get(&redirect);
    app.update_until("SignedIn", |app| app.auth_state() == AuthState::SignedIn);
}

/// Quits `app` the way a game does, and returns every URL it opened on
/// the way out.
fn quit(mut app: App, urls: &Receiver<String>) -> Vec<String> {
    app.world_mut().write_message(AppExit::Success);
    app.update();
    // The worker is gone once the exit's frame is done: nothing more opens.
    drop(app);
    urls.try_iter().collect()
}

#[test]
fn a_browser_session_nobody_keeps_ends_with_the_game() {
    let backend = backend();
    let store = MemoryStore::new();
    let (mut app, urls) = app(&backend, &store, Duration::from_secs(60));
    player(&mut app, &backend, "leaver");

    // "Remember me" off: nothing is kept, and quitting ends the browser's
    // session too.
    app.auth(|auth| auth.set_remember(false));
    browser_sign_in(&mut app, &urls, "leaver");
    assert!(store.stored().is_none());
    let mut opened_on_quit = quit(app, &urls);
    if opened_on_quit.is_empty() {
        // A worker past its shutdown limit is left behind, not waited on.
        opened_on_quit.extend(urls.recv_timeout(Duration::from_secs(20)));
    }
    assert_eq!(opened_on_quit.len(), 1, "{opened_on_quit:?}");
    assert!(
        opened_on_quit[0].contains("/logout?client_id="),
        "{opened_on_quit:?}"
    );

    // Kept for the next launch: quitting leaves it, as a sign-out would not.
    let (mut app, urls) = self::app(&backend, &store, Duration::from_secs(60));
    app.auth(|auth| auth.set_remember(true));
    browser_sign_in(&mut app, &urls, "leaver");
    app.update_until("the session kept", |_| store.stored().is_some());
    assert_eq!(quit(app, &urls), Vec::<String>::new());

    // And restored at the next launch, it is still kept: quitting leaves it.
    let (mut app, urls) = self::app(&backend, &store, Duration::from_secs(60));
    assert_eq!(app.auth_state(), AuthState::SignedIn);
    app.update();
    assert_eq!(quit(app, &urls), Vec::<String>::new());

    // A password session opens no browser on the way out.
    store.set(None);
    let (mut app, urls) = self::app(&backend, &store, Duration::from_secs(60));
    app.auth(|auth| auth.set_remember(false));
    app.auth(|auth| auth.sign_in("leaver", PASSWORD)).unwrap();
    app.update_until("SignedIn", |app| app.auth_state() == AuthState::SignedIn);
    assert_eq!(quit(app, &urls), Vec::<String>::new());
}
