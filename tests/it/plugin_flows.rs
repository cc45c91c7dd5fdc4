//! The plugin in headless Apps (`MinimalPlugins` + `StatesPlugin`, menu
//! off), driven through `AuthCommands` against the local backend over real
//! loopback HTTP; and a slow backend to show that no frame waits for it.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::MfaMethod;
use bevy_cognito_login::client::{AuthAction, AuthOutcome, BackendConfig, ServerErrorKind};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::TestApp;
use bevy_cognito_login::{
    AccountConfirmed, AccountRead, AuthCommandError, AuthenticatorSecretIssued, CodeSent,
    EmailVerified, MfaChanged, PasswordChanged, SignOutReason,
};
use cognito_login_backend::{
    BackgroundStack, CodePurpose, LocalConfig, LocalEndpoints, LocalStack,
};

use crate::support;

const PASSWORD: &str = "Secret-Pass-1";

/// Every message the plugin wrote, in order.
#[derive(Resource, Default, Debug)]
struct Seen {
    signed_in: Vec<SignedIn>,
    signed_out: Vec<SignedOut>,
    failed: Vec<AuthFailed>,
    code_sent: Vec<CodeSent>,
    confirmed: Vec<AccountConfirmed>,
    password_changed: Vec<PasswordChanged>,
    account_read: Vec<AccountRead>,
    authenticator_secret: Vec<AuthenticatorSecretIssued>,
    mfa_changed: Vec<MfaChanged>,
    email_verified: Vec<EmailVerified>,
}

fn record(
    mut seen: ResMut<Seen>,
    mut signed_in: MessageReader<SignedIn>,
    mut signed_out: MessageReader<SignedOut>,
    mut failed: MessageReader<AuthFailed>,
    mut code_sent: MessageReader<CodeSent>,
    mut confirmed: MessageReader<AccountConfirmed>,
) {
    seen.signed_in.extend(signed_in.read().cloned());
    seen.signed_out.extend(signed_out.read().cloned());
    seen.failed.extend(failed.read().cloned());
    seen.code_sent.extend(code_sent.read().cloned());
    seen.confirmed.extend(confirmed.read().cloned());
}

fn record_account(
    mut seen: ResMut<Seen>,
    mut password_changed: MessageReader<PasswordChanged>,
    mut account_read: MessageReader<AccountRead>,
    mut authenticator_secret: MessageReader<AuthenticatorSecretIssued>,
    mut mfa_changed: MessageReader<MfaChanged>,
    mut email_verified: MessageReader<EmailVerified>,
) {
    seen.password_changed
        .extend(password_changed.read().cloned());
    seen.account_read.extend(account_read.read().cloned());
    seen.authenticator_secret
        .extend(authenticator_secret.read().cloned());
    seen.mfa_changed.extend(mfa_changed.read().cloned());
    seen.email_verified.extend(email_verified.read().cloned());
}

fn app(backend: impl Into<BackendConfig>) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(
            CognitoLoginPlugin::new(backend)
                .without_menu()
                .without_session(),
        )
        .init_resource::<Seen>()
        .add_systems(Update, (record, record_account));
    app.update();
    app
}

fn seen(app: &App) -> &Seen {
    app.world().resource::<Seen>()
}

fn local_backend() -> BackgroundStack {
    LocalStack::spawn(LocalConfig::default()).expect("the local backend starts")
}

fn last_failure(app: &App) -> (AuthAction, Option<ServerErrorKind>) {
    let failure = seen(app).failed.last().expect("a failure");
    (failure.action, failure.error.server_kind().cloned())
}

#[test]
fn sign_up_confirm_sign_in_and_sign_out() {
    whole_flow(|endpoints| endpoints.api_gateway_config().into());
}

#[test]
fn sign_up_confirm_sign_in_and_sign_out_on_the_user_pool_directly() {
    whole_flow(|endpoints| endpoints.user_pool_config().into());
}

/// The whole flow through the plugin, on the transport `config` picks.
fn whole_flow(config: fn(&LocalEndpoints) -> BackendConfig) {
    let backend = local_backend();
    let mut app = app(config(backend.endpoints()));
    assert_eq!(app.auth_state(), AuthState::SignedOut);

    let sign_up = app
        .auth(|auth| auth.sign_up("ada", "ada@example.com", PASSWORD))
        .unwrap();
    let busy = app.auth(|auth| auth.sign_in("ada", PASSWORD));
    assert_eq!(
        busy,
        Err(AuthCommandError::Busy(AuthAction::SignUp)),
        "one request at a time"
    );
    app.update_until("the code", |app| {
        let world = app.world();
        !world.resource::<Seen>().code_sent.is_empty()
    });
    assert!(
        seen(&app).code_sent[0]
            .destination
            .destination
            .contains("***")
    );
    assert_eq!(
        seen(&app).code_sent[0].request,
        sign_up,
        "the answer names its request"
    );

    let confirm = app
        .auth(|auth| auth.confirm_sign_up("ada", "WRONG-CODE"))
        .unwrap();
    app.update_until("a failure", |app| {
        let world = app.world();
        !world.resource::<Seen>().failed.is_empty()
    });
    assert_ne!(confirm, sign_up);
    assert_eq!(seen(&app).failed[0].request, confirm);
    assert_eq!(
        last_failure(&app),
        (
            AuthAction::ConfirmSignUp,
            Some(ServerErrorKind::CodeMismatch)
        )
    );

    app.auth(|auth| auth.sign_in("ada", PASSWORD)).unwrap();
    app.update_until("a failure", |app| {
        let world = app.world();
        world.resource::<Seen>().failed.len() == 2
    });
    assert_eq!(
        last_failure(&app),
        (AuthAction::SignIn, Some(ServerErrorKind::UserNotConfirmed))
    );

    let code = backend
        .mailbox()
        .unwrap()
        .latest_code("ada", CodePurpose::ConfirmSignUp)
        .unwrap();
    app.auth(|auth| auth.confirm_sign_up("ada", code)).unwrap();
    app.update_until("the confirmation", |app| {
        let world = app.world();
        !world.resource::<Seen>().confirmed.is_empty()
    });

    app.auth(|auth| auth.sign_in("ada", "Wrong-Pass-9"))
        .unwrap();
    app.update_until("a failure", |app| {
        let world = app.world();
        world.resource::<Seen>().failed.len() == 3
    });
    assert_eq!(
        last_failure(&app),
        (AuthAction::SignIn, Some(ServerErrorKind::NotAuthorized))
    );
    assert!(!app.world().contains_resource::<AuthSession>());

    let request = app.auth(|auth| auth.sign_in("ada", PASSWORD)).unwrap();
    app.update_until("SignedIn", |app| {
        let world = app.world();
        !world.resource::<Seen>().signed_in.is_empty()
    });
    app.update();
    assert_eq!(app.auth_state(), AuthState::SignedIn);
    assert_eq!(
        seen(&app).signed_in[0],
        SignedIn {
            request: Some(request),
            username: "ada".into()
        }
    );
    let session = app.world().resource::<AuthSession>().clone();
    assert_eq!(session.username, "ada");
    assert_eq!(session.email.as_deref(), Some("ada@example.com"));
    assert!(!session.sub.is_empty());
    assert_eq!(session.claims["sub"], session.sub.as_str());
    assert!(session.can_refresh());
    assert!(session.expires_at.is_some());
    assert!(
        !format!("{session:?}").contains(session.access_token.expose()),
        "Debug redacts tokens"
    );
    assert_eq!(
        app.auth(|auth| auth.sign_in("ada", PASSWORD)),
        Err(AuthCommandError::AlreadySignedIn)
    );

    app.auth(|auth| auth.sign_out()).unwrap();
    app.update();
    assert!(!app.world().contains_resource::<AuthSession>());
    assert_eq!(app.auth_state(), AuthState::SignedOut);
    assert_eq!(seen(&app).signed_out[0].reason, SignOutReason::Requested);
    assert_eq!(
        app.auth(|auth| auth.sign_out()),
        Err(AuthCommandError::NotSignedIn)
    );
    // The server-side sign-out finishes in the background without a failure.
    for _ in 0..50 {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(seen(&app).failed.len(), 3);
}

#[test]
fn an_unreachable_backend_fails_clearly_and_the_next_attempt_can_start() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut app = app(ApiGatewayConfig::unverified(&url));
    app.auth(|auth| auth.sign_in("ada", PASSWORD)).unwrap();
    app.update_until("a failure", |app| {
        let world = app.world();
        !world.resource::<Seen>().failed.is_empty()
    });
    let failure = &seen(&app).failed[0];
    assert!(
        failure.error.player_message().contains("reach"),
        "{failure:?}"
    );
    assert_eq!(app.auth(|auth| auth.running()), None, "not stuck busy");
    app.auth(|auth| auth.sign_in("ada", PASSWORD))
        .expect("a new attempt starts");
}

#[test]
fn a_misconfigured_backend_is_reported_not_panicked() {
    let mut app = app(ApiGatewayConfig::unverified("http://example.com/no-https"));
    app.auth(|auth| auth.forgot_password("ada")).unwrap();
    app.update_until("a failure", |app| {
        let world = app.world();
        !world.resource::<Seen>().failed.is_empty()
    });
    let failure = &seen(&app).failed[0];
    assert!(
        failure
            .error
            .player_message()
            .contains("not set up correctly"),
        "{failure:?}"
    );
}

/// The backend holds each answer until the test lets it go (or 20 s pass):
/// ten frames that ran while it held one did not wait for it.
#[test]
fn no_frame_waits_for_a_slow_backend() {
    let received = Arc::new(AtomicUsize::new(0));
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let gate = std::sync::Mutex::new(gate);
    let count = Arc::clone(&received);
    let (url, answered) = support::holding_backend(move |request| {
        if request.starts_with(b"POST") {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = gate.lock().unwrap().recv_timeout(Duration::from_secs(20));
        }
    });
    let mut app = app(ApiGatewayConfig::unverified(&url));

    // Ten frames while the backend holds the `nth` request, then its answer.
    let frames_while_held = |app: &mut App, nth: usize, what: &str| {
        app.update_until(what, |_| received.load(Ordering::SeqCst) == nth);
        for _ in 0..10 {
            app.update();
        }
        let answered = answered.load(Ordering::SeqCst);
        assert_eq!(answered, nth - 1, "a frame waited for {what}");
        release.send(()).unwrap();
    };

    app.auth(|auth| auth.sign_up("slow", "slow@example.com", PASSWORD))
        .unwrap();
    frames_while_held(&mut app, 1, "the sign-up");
    app.update_until("the code sent", |app| !seen(app).code_sent.is_empty());

    app.auth(|auth| auth.sign_in("slow", PASSWORD)).unwrap();
    frames_while_held(&mut app, 2, "the sign-in");
    app.update_until("signed in", |app| {
        app.world().contains_resource::<AuthSession>()
    });
}

/// Frames for `for_how_long`, then the requests `count` saw.
fn requests_after(
    plugin: CognitoLoginPlugin,
    count: &std::sync::atomic::AtomicUsize,
    for_how_long: Duration,
) -> usize {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(plugin.without_session());
    let started = Instant::now();
    while started.elapsed() < for_how_long {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    count.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn signed_out_the_connection_is_opened_at_once_and_kept_warm() {
    let (url, count) = support::counting_backend(Duration::ZERO);
    let plugin = CognitoLoginPlugin::new(ApiGatewayConfig::unverified(&url))
        .without_menu()
        .with_keep_warm(Some(Duration::from_millis(150)));
    let requests = requests_after(plugin, &count, Duration::from_millis(400));
    // At once, then about every 150 ms: never one per frame.
    assert!((2..=4).contains(&requests), "{requests} connects");

    let (url, count) = support::counting_backend(Duration::ZERO);
    let quiet = CognitoLoginPlugin::new(ApiGatewayConfig::unverified(&url)).without_menu();
    assert_eq!(quiet.keep_warm, None);
    assert_eq!(requests_after(quiet, &count, Duration::from_millis(200)), 0);
    #[cfg(feature = "menu")]
    assert_eq!(
        CognitoLoginPlugin::new(ApiGatewayConfig::unverified(&url)).keep_warm,
        Some(bevy_cognito_login::KEEP_WARM)
    );
}

fn via_routes(endpoints: &LocalEndpoints) -> BackendConfig {
    endpoints.api_gateway_config().into()
}

fn via_user_pool(endpoints: &LocalEndpoints) -> BackendConfig {
    endpoints.user_pool_config().into()
}

/// An app whose player `username` signed up, confirmed and signed in.
fn signed_in(backend: &BackgroundStack, config: &BackendConfig, username: &str) -> App {
    let mut app = app(config.clone());
    app.auth({
        let username = username.to_owned();
        move |auth| auth.sign_up(username, "grace@example.com", PASSWORD)
    })
    .unwrap();
    app.update_until("the code", |app| {
        !app.world().resource::<Seen>().code_sent.is_empty()
    });
    let code = backend
        .mailbox()
        .unwrap()
        .latest_code(username, CodePurpose::ConfirmSignUp)
        .unwrap();
    let name = username.to_owned();
    app.auth(move |auth| auth.confirm_sign_up(name, code))
        .unwrap();
    app.update_until("the confirmation", |app| {
        !app.world().resource::<Seen>().confirmed.is_empty()
    });
    let name = username.to_owned();
    app.auth(move |auth| auth.sign_in(name, PASSWORD)).unwrap();
    app.update_until("SignedIn", |app| {
        app.world().contains_resource::<AuthSession>()
    });
    app
}

#[test]
fn the_signed_in_account_is_read_changed_signed_out_everywhere_and_deleted() {
    for config in [via_routes, via_user_pool] {
        let backend = local_backend();
        let config = config(backend.endpoints());
        let mut app = signed_in(&backend, &config, "grace");

        app.auth(|auth| auth.read_account()).unwrap();
        app.update_until("the account", |app| {
            !app.world().resource::<Seen>().account_read.is_empty()
        });
        let account = &seen(&app).account_read[0].account;
        assert_eq!(account.email(), Some("grace@example.com"));
        assert_eq!(
            app.world().resource::<AuthSession>().account.as_ref(),
            Some(account),
            "the session holds the account too"
        );

        app.auth(|auth| auth.change_password("Wrong-Pass-9", "Another-Pass-2"))
            .unwrap();
        app.update_until("a failure", |app| {
            !app.world().resource::<Seen>().failed.is_empty()
        });
        assert_eq!(seen(&app).failed[0].action, AuthAction::ChangePassword);
        assert_eq!(app.auth_state(), AuthState::SignedIn, "still signed in");
        app.auth(|auth| auth.change_password(PASSWORD, "Another-Pass-2"))
            .unwrap();
        app.update_until("the change", |app| {
            !app.world().resource::<Seen>().password_changed.is_empty()
        });
        assert_eq!(seen(&app).password_changed[0].username, "grace");
        assert_eq!(app.auth_state(), AuthState::SignedIn);

        // A new email address: a code, then the session carries it verified.
        app.auth(|auth| auth.change_email("grace.new@example.com"))
            .unwrap();
        app.update_until("the code", |app| {
            app.world().resource::<Seen>().code_sent.len() == 2
        });
        let code = backend
            .mailbox()
            .unwrap()
            .latest_code("grace", CodePurpose::VerifyEmail)
            .expect("the local backend sent a code");
        app.auth(move |auth| auth.verify_email(code)).unwrap();
        app.update_until("the verified address in the session", |app| {
            let session = app.world().resource::<AuthSession>();
            session.email.as_deref() == Some("grace.new@example.com") && session.email_verified
        });
        assert_eq!(seen(&app).email_verified.len(), 1);

        // An authenticator app, added and turned on for sign-in.
        app.auth(|auth| auth.add_authenticator()).unwrap();
        app.update_until("the secret", |app| {
            !app.world()
                .resource::<Seen>()
                .authenticator_secret
                .is_empty()
        });
        let secret = seen(&app).authenticator_secret[0].secret.clone();
        assert!(!secret.is_empty());
        assert!(
            secret
                .uri("Test Game", "grace")
                .starts_with("otpauth://totp/Test%20Game:grace?secret=")
        );
        app.auth(|auth| auth.verify_authenticator("123456", "phone"))
            .unwrap();
        app.update_until("the check", |app| {
            !app.world().resource::<Seen>().mfa_changed.is_empty()
        });
        app.auth(|auth| auth.set_mfa(MfaMethod::Authenticator, true))
            .unwrap();
        app.update_until("the setting", |app| {
            app.world().resource::<Seen>().mfa_changed.len() == 2
        });
        assert_eq!(seen(&app).mfa_changed[1].action, AuthAction::SetMfa);
        app.auth(|auth| auth.read_account()).unwrap();
        app.update_until("the account", |app| {
            app.world().resource::<Seen>().account_read.len() == 2
        });
        let account = app.world().resource::<AuthSession>().account.clone();
        assert_eq!(
            account.and_then(|account| account.preferred_mfa),
            Some("SOFTWARE_TOKEN_MFA".to_owned())
        );

        // Signed out everywhere: this session ends once the server says so.
        app.auth(|auth| auth.sign_out_everywhere()).unwrap();
        assert_eq!(
            app.auth_state(),
            AuthState::SignedIn,
            "waits for the server"
        );
        app.update_until("SignedOut", |app| {
            !app.world().resource::<Seen>().signed_out.is_empty()
        });
        app.update();
        assert_eq!(seen(&app).signed_out[0].reason, SignOutReason::Everywhere);
        assert_eq!(app.auth_state(), AuthState::SignedOut);
        assert!(!app.world().contains_resource::<AuthSession>());
        assert_eq!(
            app.auth(|auth| auth.delete_account()),
            Err(AuthCommandError::NotSignedIn)
        );

        app.auth(|auth| auth.sign_in("grace", "Another-Pass-2"))
            .unwrap();
        app.update_until("SignedIn", |app| {
            app.world().contains_resource::<AuthSession>()
        });
        app.auth(|auth| auth.delete_account()).unwrap();
        app.update_until("SignedOut", |app| {
            app.world().resource::<Seen>().signed_out.len() == 2
        });
        app.update();
        assert_eq!(
            seen(&app).signed_out[1].reason,
            SignOutReason::AccountDeleted
        );
        assert_eq!(app.auth_state(), AuthState::SignedOut);

        let failures = seen(&app).failed.len();
        app.auth(|auth| auth.sign_in("grace", "Another-Pass-2"))
            .unwrap();
        app.update_until("a failure", |app| {
            app.world().resource::<Seen>().failed.len() > failures
        });
        assert!(!app.world().contains_resource::<AuthSession>(), "deleted");
    }
}

/// The [`AuthReplied`] messages so far.
#[derive(Resource, Default)]
struct Replied(Vec<AuthReplied>);

#[test]
fn every_answer_is_also_one_auth_replied_naming_its_request() {
    let backend = local_backend();
    let mut app = app(backend.endpoints().api_gateway_config());
    app.init_resource::<Replied>().add_systems(
        Update,
        |mut all: ResMut<Replied>, mut replied: MessageReader<AuthReplied>| {
            all.0.extend(replied.read().cloned());
        },
    );
    let replied = |app: &App| app.world().resource::<Replied>().0.len();

    let sign_up = app
        .auth(|auth| auth.sign_up("ada", "ada@example.com", PASSWORD))
        .unwrap();
    app.update_until("the sign-up's answer", |app| replied(app) == 1);
    let confirm = app
        .auth(|auth| auth.confirm_sign_up("ada", "WRONG-CODE"))
        .unwrap();
    app.update_until("the confirmation's answer", |app| replied(app) == 2);

    let all = &app.world().resource::<Replied>().0;
    assert_eq!(
        (all[0].request, all[0].action, all[0].username.as_str()),
        (sign_up, AuthAction::SignUp, "ada")
    );
    assert!(
        matches!(
            all[0].result,
            Ok(AuthOutcome::SignedUp {
                confirmed: false,
                ..
            })
        ),
        "{:?}",
        all[0].result
    );
    assert_eq!(
        (all[1].request, all[1].action),
        (confirm, AuthAction::ConfirmSignUp)
    );
    let error = all[1].result.as_ref().unwrap_err();
    assert_eq!(error.server_kind(), Some(&ServerErrorKind::CodeMismatch));
    // The typed messages say the same.
    assert_eq!(seen(&app).code_sent[0].request, sign_up);
    assert_eq!(seen(&app).failed[0].request, confirm);
}
