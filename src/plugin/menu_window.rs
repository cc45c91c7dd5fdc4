//! The Bevy side of the login menu: a window in `EguiPrimaryContextPass`
//! that calls [`crate::menu::draw`] while signed out, and
//! [`crate::menu::draw_account`] while signed in with the account screens
//! open, and carries out what they return.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, EguiTextureHandle, egui};
use cognito_login_client::{AuthOutcome, IdentityProvider, MfaMethod, Translations};

use super::credentials::{GuestNotLinked, GuestPlayFailed};
use super::receive::ReceivedReplies;
use super::{AuthCommandError, AuthCommands};
use super::{AuthSession, AuthState, AuthSystems};
use crate::menu::{
    self, AccountRequest, AccountView, GuestButton, LoginForm, MenuAction, MenuSettings, Screen,
};

/// The login menu's form, while the menu is enabled.
///
/// While signed out the menu is the sign-in screens. While signed in the
/// game opens the account screens with [`open_account`](Self::open_account)
/// (from its pause menu, say): change password, sign out, sign out
/// everywhere, delete account. They close with their own button, or when
/// the session ends.
#[derive(Resource, Debug)]
pub struct LoginMenu {
    /// The form: read its screen, or open another one with `show`.
    pub form: LoginForm,
    account_open: bool,
    /// The account was asked for since the screens opened.
    account_read: bool,
    /// A guest opened the sign-in screens.
    sign_in_open: bool,
}

impl LoginMenu {
    /// Opens the account screens (drawn while [`AuthState::SignedIn`]).
    pub fn open_account(&mut self) {
        if !self.account_open {
            self.account_open = true;
            self.form.show(Screen::Account);
        }
    }

    /// Closes the account screens.
    pub fn close_account(&mut self) {
        self.account_open = false;
        self.account_read = false;
    }

    /// Whether the account screens are open.
    pub fn is_account_open(&self) -> bool {
        self.account_open
    }

    /// Opens the sign-in screens over the game while a guest plays
    /// ([`AuthState::Guest`]), so the guest can create an account or sign
    /// in (their identity carries on); "Back to the game" closes them.
    pub fn open_sign_in(&mut self) {
        if !self.sign_in_open {
            self.sign_in_open = true;
            self.form.show(Screen::SignIn);
        }
    }

    /// Closes the sign-in screens a guest opened.
    pub fn close_sign_in(&mut self) {
        self.sign_in_open = false;
    }

    /// Whether a guest opened the sign-in screens.
    pub fn is_sign_in_open(&self) -> bool {
        self.sign_in_open
    }

    /// Whether the menu shows in `state`.
    pub(super) fn is_shown(&self, state: AuthState) -> bool {
        match state {
            AuthState::SignedOut => true,
            AuthState::SignedIn => self.account_open,
            AuthState::Guest => self.sign_in_open,
            AuthState::Restoring => false,
        }
    }
}

#[derive(Resource)]
struct MenuLogo(Handle<Image>);

/// The names of the menu's two panels (see [`menu::panel`]).
const SIGN_IN_PANEL: &str = "Sign in";
const ACCOUNT_PANEL: &str = "Account";

/// The tallest the logo is drawn, in points.
const LOGO_HEIGHT: f32 = 96.0;

pub(super) fn build(
    app: &mut App,
    settings: MenuSettings,
    remember: Option<bool>,
    browser: Option<Vec<IdentityProvider>>,
    guests: bool,
) {
    if !app.is_plugin_added::<EguiPlugin>() {
        // A game's own `EguiPlugin` added after this one meets Bevy's
        // "plugin was already added" panic: this line, just before it,
        // says whose it is and what to do.
        info!(
            "bevy_cognito_login added bevy_egui's EguiPlugin: a game that adds its own adds it \
             before CognitoLoginPlugin"
        );
        app.add_plugins(EguiPlugin::default());
    }
    // bevy_egui's AccessKit systems read these; Bevy's AccessibilityPlugin
    // (in its default plugins) makes the same, and keeps these if first.
    app.init_resource::<bevy_a11y::AccessibilityRequested>()
        .init_resource::<bevy_a11y::ManageAccessibilityUpdates>();
    if let Some(path) = settings.logo.clone() {
        app.add_systems(
            Startup,
            move |assets: Option<Res<AssetServer>>, mut commands: Commands| match assets {
                Some(assets) => commands.insert_resource(MenuLogo(assets.load(path.clone()))),
                None => warn!("the login menu's logo needs an AssetServer"),
            },
        );
    }
    let mut form = LoginForm::new(settings);
    form.offer_remember(remember);
    form.offer_browser(browser);
    form.offer_guest(guests.then_some(GuestButton::Play));
    app.insert_resource(LoginMenu {
        form,
        account_open: false,
        account_read: false,
        sign_in_open: false,
    })
    .add_systems(
        PreUpdate,
        (apply_replies, guest_answers)
            .after(super::receive::receive)
            .in_set(AuthSystems::Receive),
    )
    .add_systems(
        EguiPrimaryContextPass,
        (
            draw_menu.run_if(|state: Res<State<AuthState>>, menu: Res<LoginMenu>| {
                *state.get() != AuthState::SignedIn && menu.is_shown(*state.get())
            }),
            draw_account
                .run_if(in_state(AuthState::SignedIn))
                .run_if(|menu: Res<LoginMenu>| menu.account_open),
        )
            .in_set(AuthSystems::Menu),
    )
    .add_systems(
        OnExit(AuthState::SignedIn),
        |mut menu: ResMut<LoginMenu>| menu.close_account(),
    )
    .add_systems(OnEnter(AuthState::Guest), |mut menu: ResMut<LoginMenu>| {
        if menu.form.guest_button().is_some() {
            menu.form.offer_guest(Some(GuestButton::BackToGame));
        }
    })
    .add_systems(OnExit(AuthState::Guest), |mut menu: ResMut<LoginMenu>| {
        menu.close_sign_in();
        if menu.form.guest_button().is_some() {
            menu.form.offer_guest(Some(GuestButton::Play));
        }
    });
    app.add_systems(
        PostUpdate,
        forget_cursor_of_closing_windows.after(bevy_egui::EguiPostUpdateSet::ProcessOutput),
    );
    #[cfg(debug_assertions)]
    app.add_systems(
        PostUpdate,
        warn_text_that_does_not_fit
            .after(bevy_egui::EguiPostUpdateSet::EndPass)
            .before(bevy_egui::EguiPostUpdateSet::ProcessOutput),
    );
}

/// Takes the cursor icon off a window that closes in this frame's `Last`.
///
/// bevy_egui sets a window's [`CursorIcon`](bevy_window::CursorIcon) in
/// `PostUpdate` whenever egui's cursor changes (a field or a button under
/// the pointer). In `Last`, bevy_winit's `update_cursors` (0.19, and 0.20.1 still) inserts its
/// pending cursor on every window whose icon changed, with a plain `insert`,
/// unordered against `close_when_requested`, which despawns the window
/// closed the frame before: when the despawn is applied first, Bevy's
/// default error handler panics ("Entity despawned") and the game crashes
/// on quit (the class of bevyengine/bevy#15490 and #17533). A window
/// without the icon is skipped there, and its removal resets the cursor
/// with a `try_insert`.
fn forget_cursor_of_closing_windows(
    closing: Query<
        Entity,
        (
            With<bevy_window::ClosingWindow>,
            With<bevy_window::CursorIcon>,
        ),
    >,
    mut commands: Commands,
) {
    for window in &closing {
        commands
            .entity(window)
            .try_remove::<bevy_window::CursorIcon>();
    }
}

/// In debug builds: warns once when the menu's text does not fit its
/// panel (a long translation, a large font), so the game can widen
/// [`MenuTheme::panel_width`](crate::menu::MenuTheme::panel_width).
#[cfg(debug_assertions)]
fn warn_text_that_does_not_fit(
    mut contexts: Query<
        (&mut bevy_egui::EguiContext, &bevy_egui::EguiFullOutput),
        With<bevy_egui::PrimaryEguiContext>,
    >,
    menu: Res<LoginMenu>,
    state: Res<State<AuthState>>,
    mut warned: Local<Vec<(Screen, String)>>,
) {
    let name = match state.get() {
        AuthState::SignedOut => SIGN_IN_PANEL,
        AuthState::Guest if menu.sign_in_open => SIGN_IN_PANEL,
        AuthState::SignedIn if menu.account_open => ACCOUNT_PANEL,
        _ => return,
    };
    let Ok((mut context, output)) = contexts.single_mut() else {
        return;
    };
    let (Some(output), Some(layout)) = (&output.0, menu::panel_layout(context.get_mut(), name))
    else {
        return;
    };
    let cut = menu::clipped_text(layout.rect, &output.shapes).len();
    if cut == 0 && !layout.scrolls {
        return;
    }
    // The texts themselves may be what the player typed: never logged.
    let screen = menu.form.screen();
    let locale = menu.form.texts().locale().to_owned();
    if !warned.contains(&(screen, locale.clone())) {
        warn!(
            "the login menu's {screen:?} screen does not fit its panel in {locale} \
             ({cut} texts cut off{}): widen MenuTheme::panel_width",
            if layout.scrolls { ", it scrolls" } else { "" }
        );
        warned.push((screen, locale));
    }
}

/// Moves the form along with this frame's replies; sends its follow-up
/// (a sign-in after a confirmation, a new code for an unconfirmed account).
fn apply_replies(
    received: Res<ReceivedReplies>,
    mut menu: ResMut<LoginMenu>,
    mut auth: AuthCommands,
) {
    for reply in &received.0 {
        let actions = if reply.proof {
            menu.form.finish_proof(reply.result.as_ref().map(drop))
        } else {
            menu.form.finish(reply.action, &reply.result)
        };
        let account_asks = actions
            .iter()
            .any(|action| matches!(action, MenuAction::Account(_)));
        for action in actions {
            run_menu_action(&mut menu, &mut auth, action);
        }
        if !account_asks && matches!(reply.result, Ok(AuthOutcome::MfaSet)) && menu.account_open {
            // The overview shows the new setting once the account is read.
            let _ = auth.read_account();
        }
    }
}

/// What guest play's messages change in the menu: why it did not start,
/// and a guest who signed in to an account with an identity of its own.
fn guest_answers(
    mut failed: MessageReader<GuestPlayFailed>,
    mut not_linked: MessageReader<GuestNotLinked>,
    mut menu: ResMut<LoginMenu>,
) {
    for GuestPlayFailed { error } in failed.read() {
        let message = error.player_message_in(menu.form.texts());
        menu.form.set_error(message);
    }
    if not_linked.read().last().is_some() {
        menu.account_open = true;
        menu.form.show(Screen::Account);
        let notice = menu
            .form
            .texts()
            .get("menu.notice.guest-not-linked")
            .to_owned();
        menu.form.set_notice(notice);
    }
}

/// Carries out what the menu asked for.
fn run_menu_action(menu: &mut LoginMenu, auth: &mut AuthCommands, action: MenuAction) {
    let started = match action {
        MenuAction::Send(request) => auth.send(request).map(drop),
        MenuAction::SignInWithBrowser(browser) => auth.sign_in_with_browser(browser).map(drop),
        MenuAction::CancelBrowserSignIn => {
            auth.cancel_browser_sign_in();
            Ok(())
        }
        MenuAction::Account(request) => return run_account_request(menu, auth, request),
        MenuAction::PlayAsGuest => {
            // A guest going back to the game closes the screens; the guest
            // plays on.
            menu.close_sign_in();
            auth.play_as_guest()
        }
        MenuAction::OpenAccount(screen) => {
            // Drawn once the session is in.
            menu.account_open = true;
            menu.form.show(screen);
            Ok(())
        }
    };
    if let Err(error) = started {
        menu.form.set_error(error.to_string());
    }
}

fn draw_menu(
    mut contexts: EguiContexts,
    mut menu: ResMut<LoginMenu>,
    mut auth: AuthCommands,
    logo: Option<Res<MenuLogo>>,
    images: Option<Res<Assets<Image>>>,
) -> Result {
    if let (Some(logo), Some(images)) = (logo, images)
        && menu.form.logo().is_none()
        && let Some(image) = images.get(&logo.0)
    {
        let id = contexts.add_image(EguiTextureHandle::Weak(logo.0.id()));
        let size = image.size_f32();
        let scale = (LOGO_HEIGHT / size.y).min(1.0);
        menu.form.set_logo(Some(egui::load::SizedTexture::new(
            id,
            [size.x * scale, size.y * scale],
        )));
    }
    let theme = menu.form.settings().theme.clone();
    let action = menu::panel(contexts.ctx_mut()?, &theme, SIGN_IN_PANEL, |ui| {
        menu::draw(ui, &mut menu.form)
    });
    if let Some(action) = action {
        if matches!(
            action,
            MenuAction::Send(_) | MenuAction::SignInWithBrowser(_)
        ) && let Some(remember) = menu.form.remember()
        {
            auth.set_remember(remember);
        }
        run_menu_action(&mut menu, &mut auth, action);
    }
    Ok(())
}

/// The account screens, in a window of their own.
fn draw_account(
    mut contexts: EguiContexts,
    mut menu: ResMut<LoginMenu>,
    mut auth: AuthCommands,
    session: Option<Res<AuthSession>>,
) -> Result {
    let Some(session) = session else {
        return Ok(());
    };
    if menu.form.screen() == Screen::RememberDevice
        && session.new_device.is_none()
        && !menu.form.is_busy()
    {
        // The pool tracks no devices, or this one is remembered already.
        menu.close_account();
        return Ok(());
    }
    let this_device = auth.this_device().map(str::to_owned);
    let (email, email_verified) = match &session.account {
        Some(account) => (account.email(), account.email_verified()),
        None => (session.email.as_deref(), session.email_verified),
    };
    let view = AccountView {
        username: &session.username,
        email,
        email_verified,
        authenticator: session.account.as_ref().map(|account| {
            account
                .mfa_methods
                .iter()
                .any(|method| method == MfaMethod::Authenticator.as_str())
        }),
        email_codes: session.account.as_ref().map(|account| {
            account
                .mfa_methods
                .iter()
                .any(|method| method == MfaMethod::Email.as_str())
        }),
        this_device: this_device.as_deref(),
        offline: session.offline,
    };
    // What the overview shows of MFA needs the account read once.
    if session.account.is_none() && !menu.account_read && auth.running().is_none() {
        menu.account_read = auth.read_account().is_ok();
    }
    let theme = menu.form.settings().theme.clone();
    let action = menu::panel(contexts.ctx_mut()?, &theme, ACCOUNT_PANEL, |ui| {
        menu::draw_account(ui, &mut menu.form, view)
    });
    if let Some(action) = action {
        run_menu_action(&mut menu, &mut auth, action);
    }
    Ok(())
}

/// Carries out what the account screens asked for.
fn run_account_request(menu: &mut LoginMenu, auth: &mut AuthCommands, request: AccountRequest) {
    let asked = request.clone();
    let started = match request {
        AccountRequest::Close => {
            menu.close_account();
            return;
        }
        AccountRequest::SignOut => auth.sign_out().map(drop),
        AccountRequest::SignOutEverywhere => auth.sign_out_everywhere().map(drop),
        AccountRequest::DeleteAccount => auth.delete_account().map(drop),
        AccountRequest::ChangePassword {
            current,
            new_password,
        } => auth.change_password(current, new_password).map(drop),
        AccountRequest::ChangeEmail { email } => auth.change_email(email).map(drop),
        AccountRequest::ResendEmailCode => auth.resend_email_code().map(drop),
        AccountRequest::VerifyEmail { code } => auth.verify_email(code).map(drop),
        AccountRequest::AddAuthenticator => auth.add_authenticator().map(drop),
        AccountRequest::VerifyAuthenticator { code } => {
            let name = menu.form.texts().get("menu.authenticator.name").to_owned();
            auth.verify_authenticator(code, name).map(drop)
        }
        AccountRequest::SetAuthenticator { enabled } => {
            auth.set_mfa(MfaMethod::Authenticator, enabled).map(drop)
        }
        AccountRequest::SetEmailCodes { enabled } => {
            auth.set_mfa(MfaMethod::Email, enabled).map(drop)
        }
        AccountRequest::RememberDevice => {
            let name = device_name(menu.form.texts(), &menu.form.settings().game_name);
            auth.remember_device(name).map(drop)
        }
        AccountRequest::ListDevices => auth.list_devices().map(drop),
        AccountRequest::ForgetDevice { key } => auth.forget_device(key).map(drop),
        AccountRequest::ConfirmPassword { password } => auth.confirm_password(password).map(drop),
    };
    match started {
        Ok(()) => {}
        Err(AuthCommandError::ProofNeeded) => menu.form.ask_for_proof(asked),
        Err(error) => menu.form.set_error(error.to_string()),
    }
}

/// The name a remembered device is listed under: the game and the system.
fn device_name(texts: &Translations, game: &str) -> String {
    let system = match std::env::consts::OS {
        "linux" => "Linux",
        "windows" => "Windows",
        "macos" => "macOS",
        other => other,
    };
    texts.format("menu.device.name", &[("game", game), ("system", system)])
}
