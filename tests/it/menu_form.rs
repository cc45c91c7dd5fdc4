//! The login menu driven by egui's test harness, with no window: fields
//! found by their labels, typed into, buttons clicked, and the requests the
//! form returns checked; the last test sends them to the local backend.

use std::time::Duration;

use bevy_cognito_login::client::{
    AuthAction, AuthError, AuthOutcome, AuthRequest, AuthenticatorSecret, BrowserErrorKind,
    BrowserRequest, Challenge, ChallengeName, CodeDelivery, IdentityProvider, ServerErrorKind,
    Tokens,
};
use bevy_cognito_login::client::{AuthWorker, BackendConfig};
use bevy_cognito_login::menu::{
    GuestButton, LoginForm, MenuAction, MenuSettings, Screen, SignInName, draw,
};
use cognito_login_backend::local::sdk_client;
use cognito_login_backend::{LocalConfig, LocalStack};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

const PASSWORD: &str = "Secret-Pass-1";

struct Menu {
    form: LoginForm,
    sent: Vec<AuthRequest>,
    /// What else the menu asked for, in order.
    asked: Vec<MenuAction>,
}

impl Menu {
    fn take(&mut self, action: MenuAction) {
        match action {
            MenuAction::Send(request) => self.sent.push(request),
            other => self.asked.push(other),
        }
    }
}

fn harness() -> Harness<'static, Menu> {
    harness_with(|_| {})
}

fn harness_with(configure: impl FnOnce(&mut MenuSettings)) -> Harness<'static, Menu> {
    let mut settings = MenuSettings {
        title: "Test Game".into(),
        resend_cooldown: Duration::from_secs(30),
        ..crate::support::english()
    };
    configure(&mut settings);
    let menu = Menu {
        form: LoginForm::new(settings),
        sent: Vec::new(),
        asked: Vec::new(),
    };
    let mut harness = Harness::new_ui_state(
        |ui, menu: &mut Menu| {
            if let Some(action) = draw(ui, &mut menu.form) {
                menu.take(action);
            }
        },
        menu,
    );
    harness.run_steps(3);
    harness
}

fn type_into(harness: &mut Harness<'_, Menu>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(3);
}

fn click(harness: &mut Harness<'_, Menu>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
}

fn finish(
    harness: &mut Harness<'_, Menu>,
    action: AuthAction,
    result: Result<AuthOutcome, AuthError>,
) {
    for action in harness.state_mut().form.finish(action, &result) {
        harness.state_mut().take(action);
    }
    harness.run_steps(3);
}

/// Takes the first of the menu's other asks that `pick` takes.
fn take_asked<T>(
    harness: &mut Harness<'_, Menu>,
    pick: impl Fn(&MenuAction) -> Option<T>,
) -> Option<T> {
    let asked = &mut harness.state_mut().asked;
    let at = asked.iter().position(|action| pick(action).is_some())?;
    pick(&asked.remove(at))
}

fn take_browser_request(harness: &mut Harness<'_, Menu>) -> Option<BrowserRequest> {
    take_asked(harness, |action| match action {
        MenuAction::SignInWithBrowser(request) => Some(request.clone()),
        _ => None,
    })
}

fn take_browser_cancel(harness: &mut Harness<'_, Menu>) -> bool {
    take_asked(harness, |action| {
        (*action == MenuAction::CancelBrowserSignIn).then_some(())
    })
    .is_some()
}

fn take_device_offer(harness: &mut Harness<'_, Menu>) -> bool {
    take_asked(harness, |action| {
        (*action == MenuAction::OpenAccount(Screen::RememberDevice)).then_some(())
    })
    .is_some()
}

fn server_error(kind: ServerErrorKind, message: &str) -> AuthError {
    AuthError::Server {
        kind,
        message: message.into(),
        status: 400,
    }
}

fn shows(harness: &Harness<'_, Menu>, text: &str) -> bool {
    harness.query_by_label_contains(text).is_some()
}

#[test]
fn sign_up_checks_the_form_before_sending() {
    let mut harness = harness();
    click(&mut harness, "Create account");
    assert_eq!(harness.state().form.screen(), Screen::SignUp);

    click(&mut harness, "Create account");
    assert_eq!(harness.state().form.error(), Some("Enter your username."));
    type_into(&mut harness, "Username", "ada");
    assert_eq!(
        harness.state().form.error(),
        None,
        "editing clears the error"
    );

    type_into(&mut harness, "Email", "ada-at-example");
    click(&mut harness, "Create account");
    assert_eq!(
        harness.state().form.error(),
        Some("That email address does not look right.")
    );
    assert!(shows(&harness, "does not look right"));

    // Start again with a good email address.
    let settings = harness.state().form.settings().clone();
    harness.state_mut().form = LoginForm::new(settings);
    harness.run_steps(3);
    click(&mut harness, "Create account");
    type_into(&mut harness, "Username", "ada");
    type_into(&mut harness, "Email", "ada@example.com");
    type_into(&mut harness, "Password", "weak");
    assert!(
        shows(&harness, "At least 8 characters"),
        "the checklist is live"
    );
    click(&mut harness, "Create account");
    assert_eq!(
        harness.state().form.error(),
        Some("The password needs at least 8 characters.")
    );

    type_into(&mut harness, "Password", "-Pass-1X");
    type_into(&mut harness, "Repeat password", "something else");
    click(&mut harness, "Create account");
    assert_eq!(
        harness.state().form.error(),
        Some("The passwords do not match.")
    );
    assert!(
        harness.state().sent.is_empty(),
        "nothing was sent while the form was wrong"
    );
}

/// Signs up ada through the form and returns the harness busy with it.
fn signed_up() -> Harness<'static, Menu> {
    let mut harness = harness();
    click(&mut harness, "Create account");
    type_into(&mut harness, "Username", "ada");
    type_into(&mut harness, "Email", "ada@example.com");
    type_into(&mut harness, "Password", PASSWORD);
    type_into(&mut harness, "Repeat password", PASSWORD);
    click(&mut harness, "Create account");
    harness
}

#[test]
fn a_valid_sign_up_is_sent_once_and_the_form_is_busy() {
    let mut harness = signed_up();
    let sent = &harness.state().sent;
    assert_eq!(sent.len(), 1);
    let AuthRequest::SignUp {
        username,
        password,
        email,
        locale,
    } = &sent[0]
    else {
        panic!("{sent:?}")
    };
    assert_eq!(
        (username.as_str(), email.as_str(), password.expose()),
        ("ada", "ada@example.com", PASSWORD)
    );
    // The menu's language, for the account's emails.
    assert_eq!(
        locale.as_deref(),
        Some(harness.state().form.texts().locale())
    );

    assert!(harness.state().form.is_busy());
    assert!(
        shows(&harness, "Working"),
        "a spinner while the request runs"
    );
    click(&mut harness, "Create account");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert_eq!(harness.state().sent.len(), 1, "no second submit while busy");
}

#[test]
fn sign_up_then_confirm_then_signed_in_with_the_kept_password() {
    let mut harness = signed_up();
    let delivery = CodeDelivery {
        destination: "a***@e***".into(),
        medium: "EMAIL".into(),
        attribute: "email".into(),
    };
    finish(
        &mut harness,
        AuthAction::SignUp,
        Ok(AuthOutcome::SignedUp {
            confirmed: false,
            user_sub: None,
            delivery: Some(delivery),
        }),
    );
    assert_eq!(harness.state().form.screen(), Screen::ConfirmCode);
    assert!(shows(&harness, "We sent a code to a***@e***"));
    assert_eq!(
        harness.get_by_label("Username").value().as_deref(),
        Some("ada"),
        "username prefilled"
    );
    assert!(
        shows(&harness, "Resend code (30 s)"),
        "the resend cooldown is visible"
    );

    // A wrong code: the error shows, then typing clears it.
    type_into(&mut harness, "Code", "000000");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert!(matches!(
        harness.state().sent.last(),
        Some(AuthRequest::ConfirmSignUp { .. })
    ));
    finish(
        &mut harness,
        AuthAction::ConfirmSignUp,
        Err(server_error(ServerErrorKind::CodeMismatch, "Invalid code")),
    );
    assert!(shows(&harness, "That code is wrong"));
    type_into(&mut harness, "Code", "1");
    assert!(!shows(&harness, "That code is wrong"));

    click(&mut harness, "Confirm");
    let AuthRequest::ConfirmSignUp { username, code } =
        harness.state().sent.last().unwrap().clone()
    else {
        panic!()
    };
    assert_eq!((username.as_str(), code.expose()), ("ada", "0000001"));
    finish(
        &mut harness,
        AuthAction::ConfirmSignUp,
        Ok(AuthOutcome::Confirmed),
    );
    let Some(AuthRequest::SignIn {
        username, password, ..
    }) = harness.state().sent.last()
    else {
        panic!("a sign-in follows the confirmation")
    };
    assert_eq!((username.as_str(), password.expose()), ("ada", PASSWORD));
    assert!(harness.state().form.is_busy());
}

#[test]
fn signing_in_to_an_unconfirmed_account_opens_confirm_and_sends_a_new_code() {
    let mut harness = harness();
    assert!(
        harness.get_by_label("Username").is_focused(),
        "the first field has focus"
    );
    harness.get_by_label("Username").type_text("bob");
    harness.key_press(egui::Key::Tab);
    harness.run_steps(3);
    assert!(
        harness.get_by_label("Password").is_focused(),
        "Tab moves to the password"
    );
    harness.get_by_label("Password").type_text(PASSWORD);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert!(
        matches!(
            harness.state().sent.last(),
            Some(AuthRequest::SignIn { .. })
        ),
        "Enter submits"
    );

    finish(
        &mut harness,
        AuthAction::SignIn,
        Err(server_error(
            ServerErrorKind::UserNotConfirmed,
            "User is not confirmed.",
        )),
    );
    assert_eq!(harness.state().form.screen(), Screen::ConfirmCode);
    assert_eq!(
        harness.state().sent.last(),
        Some(&AuthRequest::ResendCode {
            username: "bob".into()
        })
    );
}

#[test]
fn a_wrong_password_is_shown_in_the_servers_words_and_cleared_on_edit() {
    let mut harness = harness();
    type_into(&mut harness, "Username", "ada");
    type_into(&mut harness, "Password", "nope");
    click(&mut harness, "Sign in");
    finish(
        &mut harness,
        AuthAction::SignIn,
        Err(server_error(
            ServerErrorKind::NotAuthorized,
            "Incorrect username or password.",
        )),
    );
    assert!(shows(&harness, "Incorrect username or password."));
    assert!(
        !harness.state().form.is_busy(),
        "never stuck busy after an error"
    );
    type_into(&mut harness, "Password", "x");
    assert!(!shows(&harness, "Incorrect username or password."));
}

#[test]
fn passwords_are_masked_until_shown() {
    let mut harness = harness();
    type_into(&mut harness, "Password", "Hidden-Pass-1");
    let masked = harness.get_by_label("Password").value().unwrap_or_default();
    assert!(!masked.contains("Hidden"), "masked: {masked:?}");
    click(&mut harness, "Show password");
    let shown = harness.get_by_label("Password").value().unwrap_or_default();
    assert_eq!(shown, "Hidden-Pass-1");
}

#[test]
fn forgot_then_reset_returns_to_sign_in() {
    let mut harness = harness();
    click(&mut harness, "Forgot password?");
    type_into(&mut harness, "Username", "ada");
    click(&mut harness, "Send reset code");
    assert_eq!(
        harness.state().sent.last(),
        Some(&AuthRequest::ForgotPassword {
            username: "ada".into()
        })
    );
    finish(
        &mut harness,
        AuthAction::ForgotPassword,
        Ok(AuthOutcome::CodeSent(CodeDelivery {
            destination: "a***@e***".into(),
            ..CodeDelivery::default()
        })),
    );
    assert_eq!(harness.state().form.screen(), Screen::ResetPassword);
    type_into(&mut harness, "Code", "123456");
    type_into(&mut harness, "New password", "Another-Pass-2");
    type_into(&mut harness, "Repeat password", "Another-Pass-2");
    click(&mut harness, "Reset password");
    let Some(AuthRequest::ResetPassword {
        username,
        code,
        password,
    }) = harness.state().sent.last()
    else {
        panic!()
    };
    assert_eq!(
        (username.as_str(), code.expose(), password.expose()),
        ("ada", "123456", "Another-Pass-2")
    );
    finish(
        &mut harness,
        AuthAction::ResetPassword,
        Ok(AuthOutcome::PasswordReset),
    );
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert!(shows(&harness, "Password changed"));
    click(&mut harness, "Create account");
    click(&mut harness, "Already have an account? Sign in");
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
}

fn challenge(name: ChallengeName, parameters: &[(&str, &str)]) -> Result<AuthOutcome, AuthError> {
    Ok(AuthOutcome::Challenge(Challenge {
        name,
        session: "session-1".into(),
        parameters: parameters
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
        authenticator: None,
    }))
}

fn signed_in_as_ada(harness: &mut Harness<'_, Menu>) {
    type_into(harness, "Username", "ada");
    type_into(harness, "Password", "Temporary-1");
    click(harness, "Sign in");
    assert_eq!(harness.state().sent.len(), 1);
}

#[test]
fn a_required_new_password_is_chosen_with_the_policy_and_answers_the_challenge() {
    let mut harness = harness();
    signed_in_as_ada(&mut harness);
    finish(
        &mut harness,
        AuthAction::SignIn,
        challenge(
            ChallengeName::NewPasswordRequired,
            &[("USER_ID_FOR_SRP", "4f1c-sub")],
        ),
    );
    assert_eq!(harness.state().form.screen(), Screen::NewPassword);
    assert!(shows(&harness, "needs a new password"));

    type_into(&mut harness, "New password", "short");
    type_into(&mut harness, "Repeat password", "short");
    click(&mut harness, "Set password");
    assert_eq!(harness.state().sent.len(), 1, "a weak password is not sent");
    assert!(harness.state().form.error().is_some());

    type_into(&mut harness, "New password", "er-Pass-9");
    type_into(&mut harness, "Repeat password", "er-Pass-9");
    click(&mut harness, "Set password");
    let Some(AuthRequest::RespondToChallenge {
        username,
        challenge,
        session,
        answer,
    }) = harness.state().sent.get(1)
    else {
        panic!("{:?}", harness.state().sent)
    };
    assert_eq!(username, "ada");
    assert_eq!(*challenge, ChallengeName::NewPasswordRequired);
    assert_eq!(session.expose(), "session-1");
    assert_eq!(answer.expose(), "shorter-Pass-9");
    assert!(harness.state().form.is_busy());

    let tokens = Tokens::new(
        "a".into(),
        "i".into(),
        None,
        Some(3600),
        std::time::SystemTime::now(),
    );
    finish(
        &mut harness,
        AuthAction::RespondToChallenge,
        Ok(AuthOutcome::Tokens(tokens)),
    );
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
}

#[test]
fn one_time_codes_show_where_they_went_and_answer_their_challenge() {
    for (name, parameters, hint) in [
        (
            ChallengeName::SmsMfa,
            vec![("CODE_DELIVERY_DESTINATION", "+*******0042")],
            "text message to +*******0042",
        ),
        (
            ChallengeName::EmailOtp,
            vec![("CODE_DELIVERY_DESTINATION", "a***@e***")],
            "code to a***@e***",
        ),
        (ChallengeName::SoftwareTokenMfa, vec![], "authenticator app"),
    ] {
        let mut harness = harness();
        signed_in_as_ada(&mut harness);
        finish(
            &mut harness,
            AuthAction::SignIn,
            challenge(name.clone(), &parameters),
        );
        assert_eq!(harness.state().form.screen(), Screen::OneTimeCode);
        assert!(shows(&harness, hint), "{name:?}: {hint}");
        click(&mut harness, "Continue");
        assert_eq!(harness.state().sent.len(), 1, "an empty code is not sent");

        type_into(&mut harness, "Code", "123456");
        click(&mut harness, "Continue");
        let Some(AuthRequest::RespondToChallenge {
            username,
            challenge,
            answer,
            ..
        }) = harness.state().sent.get(1)
        else {
            panic!("{:?}", harness.state().sent)
        };
        assert_eq!((username.as_str(), challenge), ("ada", &name));
        assert_eq!(answer.expose(), "123456");

        finish(
            &mut harness,
            AuthAction::RespondToChallenge,
            Err(server_error(
                ServerErrorKind::CodeMismatch,
                "Invalid code received for user",
            )),
        );
        assert_eq!(harness.state().form.screen(), Screen::OneTimeCode);
        assert!(harness.state().form.error().is_some());
        assert!(!take_device_offer(&mut harness));

        harness.run_steps(3);
        type_into(&mut harness, "Code", "654321");
        click(&mut harness, "Continue");
        finish(
            &mut harness,
            AuthAction::RespondToChallenge,
            Ok(AuthOutcome::Tokens(tokens())),
        );
        assert!(
            take_device_offer(&mut harness),
            "{name:?}: a sign-in that took a code offers to remember the computer"
        );
        assert!(!take_device_offer(&mut harness), "once");
    }
}

#[test]
fn a_choice_of_codes_is_made_in_the_menu_and_its_code_follows() {
    let mut harness = harness();
    signed_in_as_ada(&mut harness);
    finish(
        &mut harness,
        AuthAction::SignIn,
        challenge(
            ChallengeName::SelectMfaType,
            &[("MFAS_CAN_CHOOSE", r#"["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]"#)],
        ),
    );
    assert_eq!(harness.state().form.screen(), Screen::ChooseMfa);
    assert!(shows(&harness, "more than one way"));
    assert!(shows(&harness, "Code from my authenticator app"));
    click(&mut harness, "Code by email");
    let Some(AuthRequest::RespondToChallenge {
        challenge: answered,
        answer,
        ..
    }) = harness.state().sent.get(1)
    else {
        panic!("{:?}", harness.state().sent)
    };
    assert_eq!(answered, &ChallengeName::SelectMfaType);
    assert_eq!(answer.expose(), "EMAIL_OTP");

    // The email code's challenge follows, on the code screen.
    finish(
        &mut harness,
        AuthAction::RespondToChallenge,
        challenge(
            ChallengeName::EmailOtp,
            &[("CODE_DELIVERY_DESTINATION", "a***@e***")],
        ),
    );
    assert_eq!(harness.state().form.screen(), Screen::OneTimeCode);
    assert!(shows(&harness, "code to a***@e***"));

    // Nothing this client can answer among the choices: said plainly.
    let mut harness = self::harness();
    signed_in_as_ada(&mut harness);
    finish(
        &mut harness,
        AuthAction::SignIn,
        challenge(
            ChallengeName::SelectMfaType,
            &[("MFAS_CAN_CHOOSE", r#"["WEB_AUTHN"]"#)],
        ),
    );
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert!(harness.state().form.error().is_some());
}

#[test]
fn a_sign_in_without_a_code_offers_no_device() {
    let mut harness = harness();
    signed_in_as_ada(&mut harness);
    finish(
        &mut harness,
        AuthAction::SignIn,
        Ok(AuthOutcome::Tokens(tokens())),
    );
    assert!(!take_device_offer(&mut harness));
}

#[test]
fn an_unknown_challenge_is_reported_not_supported() {
    let mut harness = harness();
    signed_in_as_ada(&mut harness);
    finish(
        &mut harness,
        AuthAction::SignIn,
        challenge(ChallengeName::Other("CUSTOM_CHALLENGE".into()), &[]),
    );
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert!(!harness.state().form.is_busy());
    let error = harness.state().form.error().expect("an error").to_owned();
    assert!(error.contains("not supported"), "{error}");
}

#[test]
fn a_required_authenticator_is_set_up_inside_the_sign_in() {
    let mut harness = harness();
    signed_in_as_ada(&mut harness);
    let Ok(AuthOutcome::Challenge(mut setup)) = challenge(
        ChallengeName::MfaSetup,
        &[("MFAS_CAN_SETUP", r#"["SOFTWARE_TOKEN_MFA"]"#)],
    ) else {
        unreachable!()
    };
    setup.authenticator = Some(AuthenticatorSecret::new("JBSWY3DPEHPK3PXP"));
    finish(
        &mut harness,
        AuthAction::SignIn,
        Ok(AuthOutcome::Challenge(setup)),
    );
    assert_eq!(harness.state().form.screen(), Screen::AuthenticatorSetup);
    assert!(shows(&harness, "authenticator app at each sign-in"));
    assert!(shows(&harness, "JBSWY3DPEHPK3PXP"), "the key to type");
    click(&mut harness, "Continue");
    assert_eq!(harness.state().sent.len(), 1, "an empty code is not sent");
    assert!(harness.state().form.error().is_some());

    type_into(&mut harness, "Code", "123456");
    click(&mut harness, "Continue");
    let Some(AuthRequest::RespondToChallenge {
        username,
        challenge,
        session,
        answer,
    }) = harness.state().sent.get(1)
    else {
        panic!("{:?}", harness.state().sent)
    };
    assert_eq!(
        (
            username.as_str(),
            challenge,
            session.expose(),
            answer.expose()
        ),
        ("ada", &ChallengeName::MfaSetup, "session-1", "123456")
    );
    finish(
        &mut harness,
        AuthAction::RespondToChallenge,
        Err(server_error(ServerErrorKind::CodeMismatch, "Code mismatch")),
    );
    assert_eq!(harness.state().form.screen(), Screen::AuthenticatorSetup);
    assert!(
        shows(&harness, "JBSWY3DPEHPK3PXP"),
        "the key stays to try again"
    );

    // A pool that offers only SMS setup cannot be answered here.
    let mut harness = self::harness();
    signed_in_as_ada(&mut harness);
    finish(
        &mut harness,
        AuthAction::SignIn,
        self::challenge(
            ChallengeName::MfaSetup,
            &[("MFAS_CAN_SETUP", r#"["SMS_MFA"]"#)],
        ),
    );
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert!(
        harness
            .state()
            .form
            .error()
            .unwrap()
            .contains("not supported")
    );
}

#[test]
fn a_browser_sign_in_waits_with_a_cancel_and_ends_on_a_usable_sign_in_screen() {
    let mut harness = harness();
    assert!(!shows(&harness, "Continue"), "offered only when configured");
    harness
        .state_mut()
        .form
        .offer_browser(Some(vec![IdentityProvider {
            name: "Google".into(),
            label: "Google".into(),
        }]));
    harness.run_steps(3);
    type_into(&mut harness, "Username", "ada");
    click(&mut harness, "Continue with Google");
    assert_eq!(harness.state().form.screen(), Screen::Browser);
    assert_eq!(
        take_browser_request(&mut harness),
        Some(BrowserRequest {
            provider: Some("Google".into()),
            login_hint: Some("ada".into()),
        })
    );
    assert!(shows(&harness, "Finish signing in in your browser"));
    assert!(harness.state().sent.is_empty(), "no request of the form's");

    // Cancelled: back to the sign-in screen, with nothing to apologise for.
    click(&mut harness, "Cancel");
    assert!(take_browser_cancel(&mut harness));
    finish(&mut harness, AuthAction::SignIn, Err(AuthError::Cancelled));
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert_eq!(harness.state().form.error(), None);

    // Nobody finished in time: said, and the form is usable again.
    harness.state_mut().form.offer_browser(Some(Vec::new()));
    harness.run_steps(3);
    click(&mut harness, "Continue in browser");
    assert_eq!(
        take_browser_request(&mut harness),
        Some(BrowserRequest {
            provider: None,
            login_hint: Some("ada".into()),
        })
    );
    let timed_out = AuthError::Browser {
        kind: BrowserErrorKind::TimedOut,
        detail: "no redirect".into(),
    };
    finish(&mut harness, AuthAction::SignIn, Err(timed_out));
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert!(shows(&harness, "did not finish in time"));
    assert!(!harness.state().form.is_busy());
    type_into(&mut harness, "Password", PASSWORD);
    click(&mut harness, "Sign in");
    assert!(matches!(
        harness.state().sent.as_slice(),
        [AuthRequest::SignIn { username, .. }] if username == "ada"
    ));

    // Signed in: the next player finds an empty form.
    harness.state_mut().sent.clear();
    harness.state_mut().form.show(Screen::SignIn);
    click(&mut harness, "Continue in browser");
    finish(
        &mut harness,
        AuthAction::SignIn,
        Ok(AuthOutcome::Tokens(tokens())),
    );
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    assert_eq!(harness.state().form.username(), "");
}

#[test]
fn the_guest_button_asks_for_guest_play_and_takes_a_guest_back_to_the_game() {
    let mut harness = harness();
    assert!(
        harness.query_by_label("Play as guest").is_none(),
        "not offered without guest play"
    );
    harness
        .state_mut()
        .form
        .offer_guest(Some(GuestButton::Play));
    harness.run_steps(3);
    click(&mut harness, "Play as guest");
    let asked = |harness: &mut Harness<'_, Menu>| {
        take_asked(harness, |action| {
            (*action == MenuAction::PlayAsGuest).then_some(())
        })
        .is_some()
    };
    assert!(asked(&mut harness));
    assert!(!asked(&mut harness), "asked once per click");
    assert!(harness.state().sent.is_empty(), "no request of the form's");

    // A guest who opened the screens goes back to the game with it.
    harness
        .state_mut()
        .form
        .offer_guest(Some(GuestButton::BackToGame));
    harness.run_steps(3);
    assert!(harness.query_by_label("Play as guest").is_none());
    click(&mut harness, "Back to the game");
    assert!(asked(&mut harness));
}

/// Sends what the form asked for through `worker` and reports each answer
/// back, follow-ups included; returns the last answer.
fn exchange(
    harness: &mut Harness<'_, Menu>,
    worker: &AuthWorker,
) -> Result<AuthOutcome, AuthError> {
    let mut last = None;
    while let Some(request) = harness.state_mut().sent.pop() {
        let action = request.action();
        let id = worker.send(request);
        let reply = worker
            .replies()
            .recv_timeout(Duration::from_secs(20))
            .expect("an answer within 20 s");
        assert_eq!(reply.id, id);
        finish(harness, action, reply.result.clone());
        last = Some(reply.result);
    }
    last.expect("the form sent a request")
}

#[test]
fn a_required_new_password_is_set_through_the_menu_on_both_transports() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let endpoints = backend.endpoints();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (user, config) in [
        (
            "neo-routes",
            BackendConfig::from(endpoints.api_gateway_config()),
        ),
        ("neo-direct", endpoints.user_pool_config().into()),
    ] {
        runtime
            .block_on(
                sdk_client(&endpoints.cognito_endpoint)
                    .admin_create_user()
                    .user_pool_id(&endpoints.user_pool_id)
                    .username(user)
                    .temporary_password("Temporary-Pass-1")
                    .send(),
            )
            .expect("AdminCreateUser");
        let worker = AuthWorker::spawn(config.transport().unwrap()).unwrap();
        let mut harness = harness();
        type_into(&mut harness, "Username", user);
        type_into(&mut harness, "Password", "Temporary-Pass-1");
        click(&mut harness, "Sign in");
        let challenged = exchange(&mut harness, &worker);
        assert!(
            matches!(challenged, Ok(AuthOutcome::Challenge(_))),
            "{user}: {challenged:?}"
        );
        assert_eq!(harness.state().form.screen(), Screen::NewPassword);

        type_into(&mut harness, "New password", "Chosen-Pass-2");
        type_into(&mut harness, "Repeat password", "Chosen-Pass-2");
        click(&mut harness, "Set password");
        let answered = exchange(&mut harness, &worker);
        assert!(
            matches!(answered, Ok(AuthOutcome::Tokens(_))),
            "{user}: {answered:?}"
        );
        assert_eq!(harness.state().form.screen(), Screen::SignIn);
        assert_eq!(harness.state().form.error(), None);
    }
}

/// A stack that confirms new accounts at sign-up (its pre sign-up
/// trigger): the menu goes from "Create account" straight to signed in,
/// never showing the code screen, on both transports.
#[test]
fn an_auto_confirmed_sign_up_skips_the_code_screen_on_both_transports() {
    let backend = LocalStack::spawn(LocalConfig {
        triggers: cognito_login_backend::triggers::TriggerConfig {
            auto_confirm: true,
            ..Default::default()
        },
        ..LocalConfig::default()
    })
    .unwrap();
    let endpoints = backend.endpoints();
    for (user, config) in [
        (
            "auto-routes",
            BackendConfig::from(endpoints.api_gateway_config()),
        ),
        ("auto-direct", endpoints.user_pool_config().into()),
    ] {
        let worker = AuthWorker::spawn(config.transport().unwrap()).unwrap();
        let mut harness = harness();
        click(&mut harness, "Create account");
        type_into(&mut harness, "Username", user);
        type_into(&mut harness, "Email", &format!("{user}@example.com"));
        type_into(&mut harness, "Password", PASSWORD);
        type_into(&mut harness, "Repeat password", PASSWORD);
        click(&mut harness, "Create account");
        let mut screens = Vec::new();
        let mut actions = Vec::new();
        while let Some(request) = harness.state_mut().sent.pop() {
            let action = request.action();
            actions.push(action);
            let id = worker.send(request);
            let reply = worker
                .replies()
                .recv_timeout(Duration::from_secs(20))
                .expect("an answer within 20 s");
            assert_eq!(reply.id, id);
            assert!(
                reply.result.is_ok(),
                "{user}: {action:?}: {:?}",
                reply.result
            );
            finish(&mut harness, action, reply.result);
            screens.push(harness.state().form.screen());
        }
        assert_eq!(actions, [AuthAction::SignUp, AuthAction::SignIn], "{user}");
        assert!(
            !screens.contains(&Screen::ConfirmCode),
            "{user}: {screens:?}"
        );
        assert_eq!(harness.state().form.error(), None, "{user}");
    }
}

fn tokens() -> Tokens {
    Tokens::new(
        "a".into(),
        "i".into(),
        None,
        None,
        std::time::SystemTime::now(),
    )
}

/// Every field label of every screen.
const FIELDS: [&str; 6] = [
    "Username",
    "Email",
    "Password",
    "New password",
    "Repeat password",
    "Code",
];

fn is_checked(harness: &Harness<'_, Menu>, label: &str) -> bool {
    harness.get_by_label(label).accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
}

/// What the visible fields hold, with "Show password" on.
fn field_values(harness: &mut Harness<'_, Menu>) -> Vec<(String, String)> {
    if harness.query_by_label("Show password").is_some() && !is_checked(harness, "Show password") {
        click(harness, "Show password");
    }
    FIELDS
        .iter()
        .filter_map(|label| {
            let node = harness.query_by_label(label)?;
            Some((label.to_string(), node.value().unwrap_or_default()))
        })
        .collect()
}

#[test]
fn the_next_player_gets_nothing_back_from_any_field() {
    let mut harness = harness();
    type_into(&mut harness, "Username", "ada");
    type_into(&mut harness, "Password", PASSWORD);
    click(&mut harness, "Show password");
    // Past egui's undo interval, so the password is in the undo history.
    harness.run_steps(40);
    type_into(&mut harness, "Password", "!");
    harness.run_steps(40);
    click(&mut harness, "Sign in");
    assert_eq!(harness.state().sent.len(), 1);
    finish(
        &mut harness,
        AuthAction::SignIn,
        Ok(AuthOutcome::Tokens(tokens())),
    );
    harness.state_mut().sent.clear();
    assert!(
        !is_checked(&harness, "Show password"),
        "Show password is off for the next player"
    );
    assert_eq!(
        harness.state().form.username(),
        "",
        "no username left either"
    );

    for screen in [
        Screen::SignIn,
        Screen::SignUp,
        Screen::ConfirmCode,
        Screen::ForgotPassword,
        Screen::ResetPassword,
        Screen::NewPassword,
        Screen::OneTimeCode,
    ] {
        harness.state_mut().form.show(screen);
        harness.run_steps(3);
        for label in FIELDS {
            if harness.query_by_label(label).is_none() {
                continue;
            }
            // One undo step (more would walk back past the password).
            harness.get_by_label(label).click();
            harness.run_steps(2);
            harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
            harness.run_steps(2);
            for (field, value) in field_values(&mut harness) {
                assert!(
                    !value.contains(PASSWORD) && !value.contains("ada"),
                    "{screen:?}: Ctrl+Z in {label} gives back {value:?} in {field}"
                );
            }
            harness.get_by_label(label).click();
            harness.key_press(egui::Key::Enter);
            harness.run_steps(2);
        }
        harness.state_mut().form.show(Screen::SignIn);
    }
    for request in &harness.state().sent {
        if let AuthRequest::SignIn { password, .. } = request {
            assert_ne!(
                password.expose(),
                PASSWORD,
                "the old password was sent again"
            );
        }
    }
}

#[test]
fn after_a_sign_up_the_code_screen_focuses_the_code() {
    let mut harness = signed_up();
    finish(
        &mut harness,
        AuthAction::SignUp,
        Ok(AuthOutcome::SignedUp {
            confirmed: false,
            user_sub: None,
            delivery: None,
        }),
    );
    harness.run_steps(3);
    assert_eq!(harness.state().form.screen(), Screen::ConfirmCode);
    assert!(harness.get_by_label("Code").is_focused(), "the empty field");
    assert!(!harness.get_by_label("Username").is_focused());
}

/// The name field says what the pool signs in with, and so does its check;
/// where the email address is the username, sign-up asks for it once.
#[test]
fn the_name_field_says_what_the_pool_signs_in_with() {
    let mut harness = harness_with(|settings| {
        settings.sign_in_name = SignInName::UsernameOrEmail;
    });
    assert!(
        harness.query_by_label("Username").is_none(),
        "no plain username field"
    );
    click(&mut harness, "Sign in");
    assert!(shows(&harness, "Enter your username or email address."));
    type_into(&mut harness, "Username or email", "ada@example.com");
    type_into(&mut harness, "Password", PASSWORD);
    click(&mut harness, "Sign in");
    let sent = &harness.state().sent;
    assert!(
        matches!(&sent[..], [AuthRequest::SignIn { username, .. }] if username == "ada@example.com"),
        "{sent:?}"
    );

    let mut harness = harness_with(|settings| settings.sign_in_name = SignInName::Email);
    type_into(&mut harness, "Email", "ada@example.com");
    harness.get_by_label("Create account").click();
    harness.run_steps(3);
    assert_eq!(harness.state().form.screen(), Screen::SignUp);
    assert!(
        harness.query_by_label("Username").is_none(),
        "the address is the username"
    );
    type_into(&mut harness, "Email", "bea@example.com");
    type_into(&mut harness, "Password", PASSWORD);
    type_into(&mut harness, "Repeat password", PASSWORD);
    click(&mut harness, "Create account");
    let sent = &harness.state().sent;
    assert!(
        matches!(&sent[..], [AuthRequest::SignUp { username, email, .. }]
            if username == "bea@example.com" && email == "bea@example.com"),
        "{sent:?}"
    );
}

/// A player who signs up in the German menu gets the stack's code email in
/// German (the custom message trigger reads the `locale` the menu sends),
/// and one who signs up in English gets it in English.
#[test]
fn the_code_email_arrives_in_the_language_the_menu_signed_up_in() {
    let backend = LocalStack::spawn(LocalConfig {
        triggers: cognito_login_backend::triggers::TriggerConfig {
            translated_emails: true,
            ..Default::default()
        },
        ..LocalConfig::default()
    })
    .unwrap();
    let config = BackendConfig::from(backend.endpoints().api_gateway_config());
    let worker = AuthWorker::spawn(config.transport().unwrap()).unwrap();
    for (user, locale) in [("emailed-de", "de"), ("emailed-en", "en")] {
        let texts = cognito_login_client::Translations::shipped_in(locale);
        let label = |key: &str| texts.get(key).to_owned();
        let mut harness = harness_with(|settings| settings.translations = texts.clone());
        click(&mut harness, &label("menu.link.create-account"));
        type_into(&mut harness, &label("menu.field.username"), user);
        type_into(
            &mut harness,
            &label("menu.field.email"),
            &format!("{user}@example.com"),
        );
        type_into(&mut harness, &label("menu.field.password"), PASSWORD);
        type_into(&mut harness, &label("menu.field.repeat-password"), PASSWORD);
        // The German screen's title is its button's words too: Enter sends.
        harness.key_press(egui::Key::Enter);
        harness.run_steps(3);
        let request = harness.state_mut().sent.pop().expect("the sign-up");
        let reply = worker.send(request);
        let answer = worker
            .replies()
            .recv_timeout(Duration::from_secs(20))
            .expect("an answer within 20 s");
        assert_eq!(answer.id, reply);
        assert!(answer.result.is_ok(), "{user}: {:?}", answer.result);

        let mail = backend
            .mailbox()
            .expect("the embedded emulator has a mailbox")
            .messages()
            .into_iter()
            .rfind(|mail| mail.username == user)
            .expect("a code was sent");
        let email = mail.email.expect("the trigger wrote the email");
        assert_eq!(email.subject, texts.get("email.sign-up.subject"), "{user}");
        assert!(email.body.contains(&mail.code), "{user}: the code is in it");
    }
}
