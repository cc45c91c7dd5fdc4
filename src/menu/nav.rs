//! Moving through the menu without a mouse: what a gamepad (or any input a
//! game maps) asks of it, carried out as egui's own keyboard navigation so
//! focus order, focus rings and activation are egui's.

use egui::{Event, Key, Modifiers};

use super::{LoginForm, Screen};

/// One step of navigation, as a gamepad asks for it. The plugin maps a
/// gamepad's D-pad and left stick to [`Next`](Self::Next) and
/// [`Previous`](Self::Previous), South (A) to [`Activate`](Self::Activate),
/// East (B) to [`Back`](Self::Back) and Start to [`Submit`](Self::Submit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MenuInput {
    /// Focus the next field or button, in reading order.
    Next,
    /// Focus the previous one.
    Previous,
    /// Press the focused button or checkbox. A focused text field keeps
    /// its focus, for the platform's on-screen keyboard.
    Activate,
    /// Leave the screen, as its "Back" link does.
    Back,
    /// Send the screen, as its main button does.
    Submit,
}

impl LoginForm {
    /// Carries out `input`: returns the egui events that move the focus or
    /// press the focused widget (for the context's next pass), or, for
    /// [`MenuInput::Back`] on the account overview or the offer to remember
    /// the computer, that the account screens close. `typing` says whether a text field has the focus
    /// (`egui::Context::text_edit_focused`). Nothing changes while a
    /// request runs, except the focus.
    pub fn navigate(&mut self, input: MenuInput, typing: bool) -> Navigated {
        let key = |key, modifiers| {
            [true, false].map(|pressed| Event::Key {
                key,
                physical_key: None,
                pressed,
                repeat: false,
                modifiers,
            })
        };
        match input {
            MenuInput::Next => Navigated::Events(key(Key::Tab, Modifiers::NONE).into()),
            MenuInput::Previous => Navigated::Events(key(Key::Tab, Modifiers::SHIFT).into()),
            MenuInput::Activate if typing || self.busy => Navigated::Nothing,
            MenuInput::Activate => Navigated::Events(key(Key::Enter, Modifiers::NONE).into()),
            MenuInput::Submit if self.busy => Navigated::Nothing,
            MenuInput::Submit => {
                self.submit_requested = true;
                Navigated::Nothing
            }
            MenuInput::Back if self.busy => Navigated::Nothing,
            MenuInput::Back => match back_from(self.screen) {
                Back::To(screen) => {
                    self.show(screen);
                    Navigated::Nothing
                }
                Back::Close => Navigated::CloseAccount,
                Back::CancelBrowser => {
                    self.browser_cancelled = true;
                    Navigated::Nothing
                }
                Back::Stay => Navigated::Nothing,
            },
        }
    }
}

/// What [`LoginForm::navigate`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Navigated {
    /// Nothing more to do (the form changed itself, or nothing applied).
    Nothing,
    /// Events for the egui context's next pass.
    Events(Vec<Event>),
    /// The account screens close (as [`AccountRequest::Close`](super::AccountRequest::Close) does).
    CloseAccount,
}

enum Back {
    To(Screen),
    Close,
    /// The browser sign-in is cancelled; its end brings the sign-in screen.
    CancelBrowser,
    Stay,
}

/// Where "Back" leads from each screen: the screen its back link opens.
fn back_from(screen: Screen) -> Back {
    match screen {
        Screen::SignIn => Back::Stay,
        Screen::SignUp
        | Screen::ConfirmCode
        | Screen::ForgotPassword
        | Screen::ResetPassword
        | Screen::NewPassword
        | Screen::OneTimeCode
        | Screen::ChooseMfa
        | Screen::AuthenticatorSetup => Back::To(Screen::SignIn),
        Screen::ChangePassword
        | Screen::DeleteAccount
        | Screen::Authenticator
        | Screen::ChangeEmail
        | Screen::Devices
        | Screen::ConfirmPassword => Back::To(Screen::Account),
        Screen::Account | Screen::RememberDevice => Back::Close,
        Screen::Browser => Back::CancelBrowser,
    }
}
