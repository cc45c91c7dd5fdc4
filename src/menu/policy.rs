//! The password policy the menu checks before sending a sign-up.

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
    /// Each active rule, checked against `password`.
    pub fn checks(&self, password: &str) -> Vec<PolicyCheck> {
        let has = |test: fn(char) -> bool| password.chars().any(test);
        let rules = [
            (
                self.min_length > 0,
                format!("At least {} characters", self.min_length),
                password.chars().count() >= self.min_length,
            ),
            (
                self.require_uppercase,
                "An upper-case letter".to_owned(),
                has(|c| c.is_uppercase()),
            ),
            (
                self.require_lowercase,
                "A lower-case letter".to_owned(),
                has(|c| c.is_lowercase()),
            ),
            (
                self.require_digit,
                "A digit".to_owned(),
                has(|c| c.is_ascii_digit()),
            ),
            (
                self.require_symbol,
                "A symbol such as ! or -".to_owned(),
                has(|c| SYMBOLS.contains(c)),
            ),
        ];
        rules
            .into_iter()
            .filter(|(active, ..)| *active)
            .map(|(_, rule, met)| PolicyCheck { rule, met })
            .collect()
    }

    /// The first rule `password` breaks, as a sentence for the player.
    pub fn first_unmet(&self, password: &str) -> Option<String> {
        self.checks(password)
            .into_iter()
            .find(|check| !check.met)
            .map(|check| format!("The password needs: {}.", check.rule.to_lowercase()))
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
            Some("The password needs: at least 8 characters.".into())
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
