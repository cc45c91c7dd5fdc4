//! The account screens driven by egui's test harness: what each button asks
//! for, the checks before a password change or a deletion, and where each
//! answer leaves the form.

use bevy_cognito_login::client::{
    AuthAction, AuthError, AuthOutcome, AuthenticatorSecret, CodeDelivery, Device, ServerErrorKind,
};
use bevy_cognito_login::menu::{
    AccountRequest, AccountView, LoginForm, MenuAction, MenuSettings, Screen, draw_account,
};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

struct Account {
    form: LoginForm,
    asked: Vec<AccountRequest>,
    /// What the form asked for on its own after an answer.
    follow_up: Option<AccountRequest>,
    /// Whether sign-in codes are on, as the server said.
    authenticator: Option<bool>,
    /// Whether email sign-in codes are on, as the server said.
    email_codes: Option<bool>,
}

fn harness() -> Harness<'static, Account> {
    let account = Account {
        form: LoginForm::new(MenuSettings {
            game_name: "Coin Game".into(),
            ..crate::support::english()
        }),
        asked: Vec::new(),
        follow_up: None,
        authenticator: None,
        email_codes: None,
    };
    let mut harness = Harness::new_ui_state(
        |ui, account: &mut Account| {
            let view = AccountView {
                username: "ada",
                email: Some("ada@example.com"),
                email_verified: true,
                authenticator: account.authenticator,
                email_codes: account.email_codes,
                this_device: Some("eu-west-1_this"),
                offline: false,
            };
            match draw_account(ui, &mut account.form, view) {
                Some(MenuAction::Account(request)) => account.asked.push(request),
                Some(other) => panic!("the account screens asked for {other:?}"),
                None => {}
            }
        },
        account,
    );
    harness.run_steps(3);
    harness
}

fn type_into(harness: &mut Harness<'_, Account>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(3);
}

fn click(harness: &mut Harness<'_, Account>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
}

/// Reports an answer; the screen it leads to is checked before the next
/// frame (the account screens are drawn only while signed in).
fn finish(
    harness: &mut Harness<'_, Account>,
    action: AuthAction,
    result: Result<AuthOutcome, AuthError>,
) {
    assert!(
        harness.state().form.is_busy(),
        "the form waits for {action:?}"
    );
    let follow_up = report(harness, action, result);
    assert!(follow_up.is_none());
}

/// Reports an answer to the form; the request it sends on its own, if
/// any, and what it asks of the account screens kept for
/// [`take_account_follow_up`].
fn report(
    harness: &mut Harness<'_, Account>,
    action: AuthAction,
    result: Result<AuthOutcome, AuthError>,
) -> Option<bevy_cognito_login::client::AuthRequest> {
    let mut sent = None;
    for action in harness.state_mut().form.finish(action, &result) {
        match action {
            MenuAction::Send(request) => sent = Some(request),
            MenuAction::Account(request) => harness.state_mut().follow_up = Some(request),
            other => panic!("the account screens asked for {other:?}"),
        }
    }
    sent
}

/// What the form asked for on its own after the last answer.
fn take_account_follow_up(harness: &mut Harness<'_, Account>) -> Option<AccountRequest> {
    harness.state_mut().follow_up.take()
}

fn shows(harness: &Harness<'_, Account>, text: &str) -> bool {
    harness.query_by_label_contains(text).is_some()
}

#[test]
fn the_overview_shows_the_account_and_asks_for_what_the_player_chose() {
    let mut harness = harness();
    assert_eq!(harness.state().form.screen(), Screen::Account);
    assert!(shows(&harness, "Signed in as ada"));
    assert!(shows(&harness, "ada@example.com (verified)"));

    click(&mut harness, "Sign out");
    assert_eq!(harness.state().asked, [AccountRequest::SignOut]);
    assert!(
        !harness.state().form.is_busy(),
        "a sign-out is not waited for"
    );

    click(&mut harness, "Close");
    assert_eq!(harness.state().asked[1], AccountRequest::Close);
    assert!(!harness.state().form.is_busy());

    click(&mut harness, "Sign out everywhere");
    assert_eq!(harness.state().asked[2], AccountRequest::SignOutEverywhere);
    finish(
        &mut harness,
        AuthAction::SignOutEverywhere,
        Err(AuthError::Server {
            kind: ServerErrorKind::TooManyRequests,
            message: String::new(),
            status: 429,
        }),
    );
    assert_eq!(
        harness.state().form.screen(),
        Screen::Account,
        "still signed in"
    );
    assert!(harness.state().form.error().is_some());
    harness.run_steps(3);
    click(&mut harness, "Sign out everywhere");
    finish(
        &mut harness,
        AuthAction::SignOutEverywhere,
        Ok(AuthOutcome::SignedOut),
    );
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert_eq!(
        harness.state().form.notice(),
        Some("Signed out on every device.")
    );
}

#[test]
fn email_sign_in_codes_are_offered_once_the_account_is_read() {
    let mut harness = harness();
    assert!(
        !shows(&harness, "by email"),
        "not before the account is read"
    );
    harness.state_mut().email_codes = Some(false);
    harness.run_steps(3);
    click(&mut harness, "Send sign-in codes by email");
    assert_eq!(
        harness.state().asked,
        [AccountRequest::SetEmailCodes { enabled: true }]
    );
    finish(
        &mut harness,
        AuthAction::SetMfa,
        Err(AuthError::Server {
            kind: ServerErrorKind::InvalidParameter,
            message: "Email MFA is not enabled for this user pool".into(),
            status: 400,
        }),
    );
    assert!(
        harness
            .state()
            .form
            .error()
            .is_some_and(|error| error.contains("Email MFA is not enabled")),
        "{:?}",
        harness.state().form.error()
    );

    harness.state_mut().email_codes = Some(true);
    harness.run_steps(3);
    assert!(shows(&harness, "Sign-in codes: by email"));
    click(&mut harness, "Stop email sign-in codes");
    assert_eq!(
        harness.state().asked[1],
        AccountRequest::SetEmailCodes { enabled: false }
    );
    finish(&mut harness, AuthAction::SetMfa, Ok(AuthOutcome::MfaSet));
    assert!(harness.state().form.error().is_none());
}

#[test]
fn a_password_change_is_checked_first_and_forgotten_after() {
    let mut harness = harness();
    click(&mut harness, "Change password");
    assert_eq!(harness.state().form.screen(), Screen::ChangePassword);
    assert!(
        harness.get_by_label("Current password").is_focused(),
        "the first empty field"
    );

    click(&mut harness, "Change password");
    assert_eq!(
        harness.state().form.error(),
        Some("Enter your current password.")
    );
    type_into(&mut harness, "Current password", "Secret-Pass-1");
    type_into(&mut harness, "New password", "short");
    click(&mut harness, "Change password");
    assert!(harness.state().asked.is_empty(), "the policy refuses it");
    assert!(harness.state().form.error().is_some());
    type_into(&mut harness, "New password", "-Pass-2X");
    type_into(&mut harness, "Repeat password", "short-Pass-2");
    click(&mut harness, "Change password");
    assert_eq!(
        harness.state().form.error(),
        Some("The passwords do not match.")
    );
    type_into(&mut harness, "Repeat password", "X");
    click(&mut harness, "Change password");
    let [
        AccountRequest::ChangePassword {
            current,
            new_password,
        },
    ] = harness.state().asked.as_slice()
    else {
        panic!("{:?}", harness.state().asked)
    };
    assert_eq!(
        (current.expose(), new_password.expose()),
        ("Secret-Pass-1", "short-Pass-2X")
    );

    finish(
        &mut harness,
        AuthAction::ChangePassword,
        Err(AuthError::Server {
            kind: ServerErrorKind::NotAuthorized,
            message: "Incorrect username or password.".into(),
            status: 400,
        }),
    );
    assert_eq!(harness.state().form.screen(), Screen::ChangePassword);
    assert!(harness.state().form.error().is_some());
    harness.run_steps(3);
    click(&mut harness, "Change password");
    finish(
        &mut harness,
        AuthAction::ChangePassword,
        Ok(AuthOutcome::PasswordChanged),
    );
    assert_eq!(harness.state().form.screen(), Screen::Account);
    assert_eq!(harness.state().form.notice(), Some("Password changed."));
    harness.run_steps(3);
    // Nothing typed is left: back on the screen, every field is empty.
    click(&mut harness, "Change password");
    for label in ["Current password", "New password", "Repeat password"] {
        assert_eq!(
            harness.get_by_label(label).value().unwrap_or_default(),
            "",
            "{label}"
        );
    }
}

#[test]
fn deleting_the_account_needs_its_username_typed() {
    let mut harness = harness();
    click(&mut harness, "Delete account…");
    assert_eq!(harness.state().form.screen(), Screen::DeleteAccount);
    assert!(shows(&harness, "cannot be undone"));
    type_into(&mut harness, "Username", "ad");
    click(&mut harness, "Delete account");
    assert!(harness.state().asked.is_empty());
    assert_eq!(harness.state().form.error(), Some("Type ada to confirm."));
    click(&mut harness, "Back");
    assert_eq!(harness.state().form.screen(), Screen::Account);

    click(&mut harness, "Delete account…");
    assert_eq!(
        harness.get_by_label("Username").value().unwrap_or_default(),
        "",
        "typed anew"
    );
    type_into(&mut harness, "Username", "ada");
    click(&mut harness, "Delete account");
    assert_eq!(harness.state().asked, [AccountRequest::DeleteAccount]);
    finish(
        &mut harness,
        AuthAction::DeleteAccount,
        Ok(AuthOutcome::AccountDeleted),
    );
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert_eq!(harness.state().form.username(), "");
    assert_eq!(
        harness.state().form.notice(),
        Some("Your account is deleted.")
    );
}

#[test]
fn an_authenticator_app_is_added_with_its_qr_code_and_turned_on_and_off() {
    let mut harness = harness();
    assert!(
        harness
            .query_by_label("Set up an authenticator app")
            .is_none(),
        "nothing is offered before the account is read"
    );
    harness.state_mut().authenticator = Some(false);
    harness.run_steps(3);
    click(&mut harness, "Set up an authenticator app");
    assert_eq!(harness.state().asked, [AccountRequest::AddAuthenticator]);
    finish(
        &mut harness,
        AuthAction::AddAuthenticator,
        Ok(AuthOutcome::AuthenticatorSecret(AuthenticatorSecret::new(
            "JBSWY3DPEHPK3PXP",
        ))),
    );
    harness.run_steps(3);
    assert_eq!(harness.state().form.screen(), Screen::Authenticator);
    assert!(shows(&harness, "JBSWY3DPEHPK3PXP"), "the key, to type");
    assert!(
        harness.get_by_label("Code").is_focused(),
        "the app's first code is next"
    );

    click(&mut harness, "Turn on");
    assert_eq!(harness.state().form.error(), Some("Enter your code."));
    type_into(&mut harness, "Code", "123456");
    click(&mut harness, "Turn on");
    let Some(AccountRequest::VerifyAuthenticator { code }) = harness.state().asked.last() else {
        panic!("{:?}", harness.state().asked)
    };
    assert_eq!(code.expose(), "123456");

    finish(
        &mut harness,
        AuthAction::VerifyAuthenticator,
        Ok(AuthOutcome::AuthenticatorVerified),
    );
    assert!(harness.state().form.is_busy(), "turning it on follows");
    assert_eq!(
        take_account_follow_up(&mut harness),
        Some(AccountRequest::SetAuthenticator { enabled: true })
    );
    finish(&mut harness, AuthAction::SetMfa, Ok(AuthOutcome::MfaSet));
    assert_eq!(harness.state().form.screen(), Screen::Account);
    harness.state_mut().authenticator = Some(true);
    harness.run_steps(3);
    assert!(
        !shows(&harness, "JBSWY3DPEHPK3PXP"),
        "the key is gone with its screen"
    );
    assert!(shows(&harness, "from your authenticator app"));
    click(&mut harness, "Turn off sign-in codes");
    assert_eq!(
        harness.state().asked.last(),
        Some(&AccountRequest::SetAuthenticator { enabled: false })
    );
}

#[test]
fn after_the_session_ends_the_sign_in_screen_keeps_nothing_typed_on_the_account_screens() {
    let mut harness = harness();
    click(&mut harness, "Delete account…");
    type_into(&mut harness, "Username", "ada");
    click(&mut harness, "Back");
    click(&mut harness, "Change password");
    type_into(&mut harness, "Current password", "Secret-Pass-1");
    // Signed out: the plugin draws the sign-in screens with the same form.
    let form = std::mem::take(&mut harness.state_mut().form);
    let mut sign_in = Harness::new_ui_state(
        |ui, form: &mut LoginForm| {
            bevy_cognito_login::menu::draw(ui, form);
        },
        form,
    );
    sign_in.run_steps(3);
    assert_eq!(sign_in.state().screen(), Screen::SignIn);
    for label in ["Username", "Password"] {
        assert_eq!(
            sign_in.get_by_label(label).value().unwrap_or_default(),
            "",
            "{label}"
        );
    }
}

#[test]
fn a_new_email_address_gets_a_code_and_is_verified_with_it() {
    let mut harness = harness();
    click(&mut harness, "Change email");
    assert_eq!(harness.state().form.screen(), Screen::ChangeEmail);
    type_into(&mut harness, "New email", "not an address");
    click(&mut harness, "Send code");
    assert!(harness.state().asked.is_empty());
    assert_eq!(
        harness.state().form.error(),
        Some("That email address does not look right.")
    );
    harness.get_by_label("New email").click();
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_label("New email")
        .type_text("ada.new@example.com");
    harness.run_steps(3);
    click(&mut harness, "Send code");
    assert_eq!(
        harness.state().asked,
        [AccountRequest::ChangeEmail {
            email: "ada.new@example.com".into()
        }]
    );
    finish(
        &mut harness,
        AuthAction::ChangeEmail,
        Ok(AuthOutcome::CodeSent(CodeDelivery {
            destination: "a***@e***".into(),
            medium: "EMAIL".into(),
            attribute: "email".into(),
        })),
    );
    harness.run_steps(3);
    assert!(
        harness
            .state()
            .form
            .notice()
            .is_some_and(|notice| notice.contains("a***@e***") && notice.contains("old address")),
        "{:?}",
        harness.state().form.notice()
    );
    assert!(
        harness.query_by_label("Resend code").is_none(),
        "a cooldown before another code"
    );
    type_into(&mut harness, "Code", "123456");
    click(&mut harness, "Verify");
    let Some(AccountRequest::VerifyEmail { code }) = harness.state().asked.last() else {
        panic!("{:?}", harness.state().asked)
    };
    assert_eq!(code.expose(), "123456");
    finish(
        &mut harness,
        AuthAction::VerifyEmail,
        Err(AuthError::Server {
            kind: ServerErrorKind::CodeMismatch,
            message: String::new(),
            status: 400,
        }),
    );
    assert_eq!(harness.state().form.screen(), Screen::ChangeEmail);
    harness.run_steps(3);
    click(&mut harness, "Verify");
    finish(
        &mut harness,
        AuthAction::VerifyEmail,
        Ok(AuthOutcome::EmailVerified),
    );
    assert_eq!(harness.state().form.screen(), Screen::Account);
    assert_eq!(
        harness.state().form.notice(),
        Some("Email address verified.")
    );
}

fn device(key: &str, name: Option<&str>, last_used: Option<u64>) -> Device {
    let at = |seconds| std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    Device {
        key: key.into(),
        name: name.map(Into::into),
        created: Some(at(1_700_000_000)),
        last_signed_in: last_used.map(at),
    }
}

#[test]
fn remembered_devices_are_listed_with_this_computer_marked_and_forgotten() {
    let mut harness = harness();
    click(&mut harness, "Remembered devices");
    assert_eq!(harness.state().form.screen(), Screen::Devices);
    assert_eq!(harness.state().asked, [AccountRequest::ListDevices]);
    finish(
        &mut harness,
        AuthAction::ListDevices,
        Ok(AuthOutcome::Devices(vec![
            device(
                "eu-west-1_this",
                Some("Coin Game on Linux"),
                Some(1_795_305_600),
            ),
            device("eu-west-1_old", None, None),
        ])),
    );
    harness.run_steps(3);
    assert!(shows(
        &harness,
        "Coin Game on Linux (this computer), last used 2026-11-22"
    ));
    assert!(shows(&harness, "A device, last used 2023-11-14"));
    assert_eq!(harness.state().asked.len(), 1, "read once");

    let forget = harness.query_all_by_label("Forget").nth(1).expect("two");
    forget.click();
    harness.run_steps(3);
    assert_eq!(
        harness.state().asked[1],
        AccountRequest::ForgetDevice {
            key: "eu-west-1_old".into()
        }
    );
    let follow_up = report(
        &mut harness,
        AuthAction::ForgetDevice,
        Ok(AuthOutcome::DeviceForgotten),
    );
    assert!(follow_up.is_none());
    assert_eq!(
        take_account_follow_up(&mut harness),
        Some(AccountRequest::ListDevices),
        "the list is read again"
    );
    assert_eq!(harness.state().form.notice(), Some("Device forgotten."));
    report(
        &mut harness,
        AuthAction::ListDevices,
        Ok(AuthOutcome::Devices(vec![])),
    );
    harness.run_steps(3);
    assert!(shows(&harness, "No computer is remembered"));
    click(&mut harness, "Back");
    assert_eq!(harness.state().form.screen(), Screen::Account);
}

#[test]
fn a_failed_list_of_devices_is_shown_and_not_asked_for_again_each_frame() {
    let mut harness = harness();
    click(&mut harness, "Remembered devices");
    finish(
        &mut harness,
        AuthAction::ListDevices,
        Err(AuthError::Server {
            kind: ServerErrorKind::TooManyRequests,
            message: String::new(),
            status: 429,
        }),
    );
    harness.run_steps(5);
    assert_eq!(harness.state().asked, [AccountRequest::ListDevices]);
    assert!(harness.state().form.error().is_some());
    assert!(!harness.state().form.is_busy(), "never stuck loading");
}

#[test]
fn the_offer_to_remember_this_computer_is_taken_or_declined() {
    for (button, asked) in [
        ("Remember this computer", AccountRequest::RememberDevice),
        ("Not now", AccountRequest::Close),
    ] {
        let mut harness = harness();
        harness.state_mut().form.show(Screen::RememberDevice);
        harness.run_steps(3);
        assert!(shows(&harness, "never a shared one"));
        click(&mut harness, button);
        assert_eq!(harness.state().asked, std::slice::from_ref(&asked));
        if asked == AccountRequest::RememberDevice {
            finish(
                &mut harness,
                AuthAction::RememberDevice,
                Ok(AuthOutcome::DeviceRemembered),
            );
            assert_eq!(
                take_account_follow_up(&mut harness),
                Some(AccountRequest::Close),
                "the offer closes once the computer is remembered"
            );
        } else {
            assert!(!harness.state().form.is_busy());
        }
    }
}

#[test]
fn a_change_that_needs_fresh_proof_waits_for_the_password_typed_again() {
    let mut harness = harness();
    click(&mut harness, "Change email");
    type_into(&mut harness, "New email", "ada.new@example.com");
    click(&mut harness, "Send code");
    let change = AccountRequest::ChangeEmail {
        email: "ada.new@example.com".into(),
    };
    assert_eq!(harness.state().asked, std::slice::from_ref(&change));
    // The session is too old for it: the plugin asks the form for proof.
    harness.state_mut().form.ask_for_proof(change.clone());
    harness.run_steps(3);
    assert_eq!(harness.state().form.screen(), Screen::ConfirmPassword);
    assert!(shows(&harness, "needs your password again"));
    assert!(!harness.state().form.is_busy());

    click(&mut harness, "Continue");
    assert_eq!(
        harness.state().asked.len(),
        1,
        "nothing typed, nothing sent"
    );
    assert_eq!(harness.state().form.error(), Some("Enter your password."));
    type_into(&mut harness, "Password", " Secret-Pass-1 ");
    click(&mut harness, "Continue");
    let AccountRequest::ConfirmPassword { password } = &harness.state().asked[1] else {
        panic!("asked for {:?}", harness.state().asked[1]);
    };
    assert_eq!(password.expose(), " Secret-Pass-1 ", "sent as typed");
    assert_eq!(
        format!("{:?}", harness.state().asked[1]),
        "ConfirmPassword",
        "never printed"
    );

    // A wrong password: the error, the same screen, nothing else sent.
    let wrong = AuthError::Server {
        kind: ServerErrorKind::NotAuthorized,
        message: "Incorrect username or password.".into(),
        status: 400,
    };
    assert!(
        harness
            .state_mut()
            .form
            .finish_proof(Err(&wrong))
            .is_empty()
    );
    harness.run_steps(3);
    assert_eq!(harness.state().form.screen(), Screen::ConfirmPassword);
    assert!(harness.state().form.error().is_some());
    assert_eq!(
        harness.get_by_label("Password").value().unwrap_or_default(),
        "•".repeat(15),
        "kept to correct, hidden"
    );

    // Right: the change goes out from its own screen, which waits for it.
    let next = harness.state_mut().form.finish_proof(Ok(()));
    assert_eq!(next, [MenuAction::Account(change)]);
    assert_eq!(harness.state().form.screen(), Screen::ChangeEmail);
    assert!(harness.state().form.is_busy());
    harness.run_steps(3);
    finish(
        &mut harness,
        AuthAction::ChangeEmail,
        Ok(AuthOutcome::CodeSent(CodeDelivery {
            destination: "a***@e***".into(),
            medium: "EMAIL".into(),
            attribute: "email".into(),
        })),
    );
    harness.run_steps(3);
    assert!(shows(&harness, "Code"), "the code field is next");

    // Going back drops the change that waited.
    harness
        .state_mut()
        .form
        .ask_for_proof(AccountRequest::DeleteAccount);
    harness.run_steps(3);
    click(&mut harness, "Back");
    assert_eq!(harness.state().form.screen(), Screen::Account);
    assert!(harness.state_mut().form.finish_proof(Ok(())).is_empty());
}
