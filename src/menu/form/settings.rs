//! How the menu looks, what it says and what it checks.

use super::*;

/// How the menu looks, what it says and what it checks.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuSettings {
    /// The heading above every screen (the game's name, say); empty for
    /// none.
    pub title: String,
    /// An image shown above the title, as an asset path (`"logo.png"`).
    pub logo: Option<String>,
    /// The rules shown and checked on the sign-up and reset screens.
    pub password_policy: PasswordPolicy,
    /// How long "Resend code" waits after a code was sent.
    pub resend_cooldown: Duration,
    /// The game's name, which authenticator apps show beside the player's
    /// codes.
    pub game_name: String,
    /// Every sentence the menu shows, with the locale to show them in:
    /// by default the shipped tables in the player's language (the first
    /// of the system's preferred locales that has one, else English).
    /// Switch at run time with [`LoginForm::select_locale`].
    pub translations: Translations,
    /// How the menu looks.
    pub theme: MenuTheme,
    /// What players sign in with, as the user pool has it (the template's
    /// `SignInWith`): the name field of the sign-in, code and reset screens
    /// is labelled to match, and with [`SignInName::Email`] sign-up asks
    /// for the email address alone, which is the username.
    pub sign_in_name: SignInName,
}

/// What a player types to sign in, as the user pool is configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignInName {
    /// A username (a pool without sign-in attributes).
    #[default]
    Username,
    /// A username or the verified email address (`AliasAttributes: email`).
    UsernameOrEmail,
    /// The email address, which is the username
    /// (`UsernameAttributes: email`).
    Email,
}

impl SignInName {
    /// The name field's label and what the player is asked when it is
    /// empty, as keys of the translations.
    pub(in crate::menu) fn keys(self) -> (&'static str, &'static str) {
        match self {
            Self::Username => ("menu.field.username", "menu.check.enter-username"),
            Self::UsernameOrEmail => (
                "menu.field.username-or-email",
                "menu.check.enter-username-or-email",
            ),
            Self::Email => ("menu.field.email", "menu.check.enter-email"),
        }
    }
}

impl Default for MenuSettings {
    fn default() -> Self {
        Self {
            title: String::new(),
            logo: None,
            password_policy: PasswordPolicy::default(),
            resend_cooldown: Duration::from_secs(30),
            game_name: "Bevy game".to_owned(),
            translations: Translations::shipped(),
            theme: MenuTheme::default(),
            sign_in_name: SignInName::default(),
        }
    }
}
