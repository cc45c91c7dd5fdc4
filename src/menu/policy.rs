//! The password policy the menu checks before sending a sign-up.

use cognito_login_client::Translations;

/// The characters Cognito counts as symbols.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// Which passwords the user pool accepts; [`Default`] is Cognito's default
/// policy: 8 or more characters with an upper-case letter, a lower-case
/// letter, a digit and a symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// The fewest characters allowed.
    pub min_length: usize,
    /// Needs an upper-case letter.
    pub require_uppercase: bool,
    /// Needs a lower-case letter.
    pub require_lowercase: bool,
    /// Needs a digit.
    pub require_digit: bool,
    /// Needs a symbol such as `!` or `-`.
    pub require_symbol: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_symbol: true,
        }
    }
}

/// One rule of a [`PasswordPolicy`] and whether a password meets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyCheck {
    /// The rule in words: "At least 8 characters".
    pub rule: String,
    /// Whether the password meets it.
    pub met: bool,
}

impl PasswordPolicy {
    /// Each active rule, checked against `password`, in English.
    pub fn checks(&self, password: &str) -> Vec<PolicyCheck> {
        self.checks_in(password, Translations::english())
    }

    /// Each active rule, checked against `password`, in the selected locale
    /// of `texts`.
    pub fn checks_in(&self, password: &str, texts: &Translations) -> Vec<PolicyCheck> {
        self.rules(password)
            .map(|(key, _, met)| PolicyCheck {
                rule: texts.format_count(key, self.min_length as u64, &[]),
                met,
            })
            .collect()
    }

    /// The first rule `password` breaks, as a sentence for the player, in
    /// English.
    pub fn first_unmet(&self, password: &str) -> Option<String> {
        self.first_unmet_in(password, Translations::english())
    }

    /// The first rule `password` breaks, as a sentence in the selected
    /// locale of `texts`.
    pub fn first_unmet_in(&self, password: &str, texts: &Translations) -> Option<String> {
        let (_, unmet, _) = self.rules(password).find(|(.., met)| !met)?;
        Some(texts.format_count(unmet, self.min_length as u64, &[]))
    }

    /// Each active rule's key, the key of its sentence when it is not met,
    /// and whether `password` meets it.
    fn rules(&self, password: &str) -> impl Iterator<Item = (&'static str, &'static str, bool)> {
        let has = |test: fn(char) -> bool| password.chars().any(test);
        [
            (
                self.min_length > 0,
                "menu.policy.length",
                "menu.policy.length-unmet",
                password.chars().count() >= self.min_length,
            ),
            (
                self.require_uppercase,
                "menu.policy.uppercase",
                "menu.policy.uppercase-unmet",
                has(char::is_uppercase),
            ),
            (
                self.require_lowercase,
                "menu.policy.lowercase",
                "menu.policy.lowercase-unmet",
                has(char::is_lowercase),
            ),
            (
                self.require_digit,
                "menu.policy.digit",
                "menu.policy.digit-unmet",
                has(|c| c.is_ascii_digit()),
            ),
            (
                self.require_symbol,
                "menu.policy.symbol",
                "menu.policy.symbol-unmet",
                has(|c| SYMBOLS.contains(c)),
            ),
        ]
        .into_iter()
        .filter(|(active, ..)| *active)
        .map(|(_, key, unmet, met)| (key, unmet, met))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_default_policy() {
        let policy = PasswordPolicy::default();
        assert_eq!(policy.first_unmet("Secret-Pass-1"), None);
        assert_eq!(
            policy.first_unmet("Short-1"),
            Some("The password needs at least 8 characters.".into())
        );
        assert!(
            policy
                .first_unmet("secret-pass-1")
                .unwrap()
                .contains("upper-case")
        );
        assert!(
            policy
                .first_unmet("SecretPass1")
                .unwrap()
                .contains("symbol")
        );
        assert_eq!(policy.checks("x").len(), 5);
        let german = Translations::shipped_in("de");
        assert_eq!(
            policy.first_unmet_in("Short-1", &german),
            Some("Das Passwort braucht mindestens 8 Zeichen.".into())
        );
        assert_eq!(policy.checks_in("x", &german)[1].rule, "Ein Großbuchstabe");
    }

    #[test]
    fn a_one_character_policy_says_so_in_the_singular() {
        let policy = PasswordPolicy {
            min_length: 1,
            ..PasswordPolicy::default()
        };
        assert_eq!(policy.checks("")[0].rule, "At least 1 character");
        assert_eq!(
            policy.first_unmet(""),
            Some("The password needs at least 1 character.".into())
        );
    }

    #[test]
    fn rules_can_be_switched_off() {
        let policy = PasswordPolicy {
            min_length: 6,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_symbol: false,
        };
        assert_eq!(policy.checks("abc").len(), 1);
        assert_eq!(policy.first_unmet("abcdef"), None);
    }
}
