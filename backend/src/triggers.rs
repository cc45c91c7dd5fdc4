//! The user pool's Lambda triggers, over the events Cognito documents
//! (typed by `aws_lambda_events`). On AWS the template wires them to a
//! function of their own, built from the same binary
//! (`COGNITO_LOGIN_TRIGGERS=1`); the local stack calls the same handlers
//! around the emulator, which runs no triggers.
//!
//! - **Pre sign-up**: confirms the account and marks its email verified
//!   when the stack says so (test and staging stacks), and takes sign-ups
//!   only from listed email domains when it lists any.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreSignup;
use serde_json::Value;

/// What the triggers do, from the stack's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerConfig {
    /// Confirm every new account at sign-up, its email marked verified: no
    /// code is sent. For test and staging stacks.
    pub auto_confirm: bool,
    /// Take sign-ups only for addresses in these domains (`example.com`,
    /// compared without case); empty: any domain.
    pub allowed_email_domains: Vec<String>,
}

impl TriggerConfig {
    /// From the function's environment: `AUTO_CONFIRM` (`true`) and
    /// `ALLOWED_EMAIL_DOMAINS` (comma-separated), as the template sets them.
    pub fn from_env() -> Self {
        Self::from_values(
            std::env::var("AUTO_CONFIRM").ok().as_deref(),
            std::env::var("ALLOWED_EMAIL_DOMAINS").ok().as_deref(),
        )
    }

    /// From the two settings' texts.
    pub fn from_values(auto_confirm: Option<&str>, allowed_email_domains: Option<&str>) -> Self {
        Self {
            auto_confirm: auto_confirm.is_some_and(|value| value.eq_ignore_ascii_case("true")),
            allowed_email_domains: allowed_email_domains
                .unwrap_or_default()
                .split(',')
                .map(|domain| domain.trim().trim_start_matches('@').to_ascii_lowercase())
                .filter(|domain| !domain.is_empty())
                .collect(),
        }
    }

    /// Whether sign-ups with `email` are taken.
    pub fn allows_email(&self, email: &str) -> bool {
        if self.allowed_email_domains.is_empty() {
            return true;
        }
        let Some((_, domain)) = email.rsplit_once('@') else {
            return false;
        };
        let domain = domain.to_ascii_lowercase();
        self.allowed_email_domains.contains(&domain)
    }
}

/// Why a trigger refused: Cognito answers the sign-up with
/// `UserLambdaValidationException` and this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TriggerRefusal(pub String);

/// The pre sign-up trigger: refuses an address outside the allowed
/// domains; confirms and verifies when [`TriggerConfig::auto_confirm`].
pub fn pre_sign_up(
    config: &TriggerConfig,
    mut event: CognitoEventUserPoolsPreSignup,
) -> Result<CognitoEventUserPoolsPreSignup, TriggerRefusal> {
    let email = event.request.user_attributes.get("email");
    let listed = email.is_some_and(|email| config.allows_email(email));
    if !config.allowed_email_domains.is_empty() && !listed {
        return Err(TriggerRefusal(
            "Sign-up is open to addresses of the game's listed domains only.".into(),
        ));
    }
    if config.auto_confirm {
        event.response.auto_confirm_user = true;
        event.response.auto_verify_email = true;
    }
    Ok(event)
}

/// Serves one trigger event, whichever trigger it is (its `triggerSource`),
/// answering the event with its response filled in.
pub fn handle(config: &TriggerConfig, event: Value) -> Result<Value, TriggerRefusal> {
    let source = event["triggerSource"].as_str().unwrap_or_default();
    let malformed =
        |error: serde_json::Error| TriggerRefusal(format!("a malformed event: {error}"));
    match source {
        "PreSignUp_SignUp" | "PreSignUp_AdminCreateUser" | "PreSignUp_ExternalProvider" => {
            let event = serde_json::from_value(event).map_err(malformed)?;
            let event = pre_sign_up(config, event)?;
            serde_json::to_value(event).map_err(malformed)
        }
        // A trigger the template does not wire: Cognito's event back as
        // it came changes nothing.
        _ => {
            tracing::warn!(source, "an unknown trigger event, answered unchanged");
            Ok(event)
        }
    }
}

/// The pre sign-up event Cognito sends for a `SignUp` call (its
/// documented shape), as the local stack makes it.
pub fn pre_sign_up_event(
    user_pool_id: &str,
    client_id: &str,
    username: &str,
    attributes: impl IntoIterator<Item = (String, String)>,
) -> Value {
    let attributes: serde_json::Map<String, Value> = attributes
        .into_iter()
        .map(|(name, value)| (name, value.into()))
        .collect();
    serde_json::json!({
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "region": user_pool_id.split('_').next().unwrap_or("local"),
        "userPoolId": user_pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "local", "clientId": client_id},
        "request": {"userAttributes": attributes, "validationData": null},
        "response": {"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_up(email: &str) -> Value {
        pre_sign_up_event(
            "eu-west-1_Pool",
            "client",
            "ada",
            [("email".to_owned(), email.to_owned())],
        )
    }

    #[test]
    fn by_default_nothing_changes() {
        let answer = handle(&TriggerConfig::default(), sign_up("ada@example.com")).unwrap();
        assert_eq!(answer["response"]["autoConfirmUser"], false);
        assert_eq!(answer["response"]["autoVerifyEmail"], false);
        assert_eq!(answer["userName"], "ada");
    }

    #[test]
    fn auto_confirm_confirms_and_verifies_the_email() {
        let config = TriggerConfig::from_values(Some("true"), None);
        let answer = handle(&config, sign_up("ada@example.com")).unwrap();
        assert_eq!(answer["response"]["autoConfirmUser"], true);
        assert_eq!(answer["response"]["autoVerifyEmail"], true);
        assert_eq!(answer["response"]["autoVerifyPhone"], false);
    }

    #[test]
    fn only_listed_domains_sign_up() {
        let config = TriggerConfig::from_values(None, Some(" Studio.example , @qa.example,"));
        assert_eq!(
            config.allowed_email_domains,
            ["studio.example", "qa.example"]
        );
        assert!(handle(&config, sign_up("ada@STUDIO.example")).is_ok());
        assert!(handle(&config, sign_up("bob@qa.example")).is_ok());
        for refused in [
            "eve@example.com",
            "eve@studio.example.evil",
            "eve@sub.studio.example",
            "no-at-sign",
        ] {
            assert!(handle(&config, sign_up(refused)).is_err(), "{refused}");
        }
        let mut no_email = sign_up("x@studio.example");
        no_email["request"]["userAttributes"] = serde_json::json!({});
        assert!(handle(&config, no_email).is_err());
    }

    #[test]
    fn other_triggers_come_back_unchanged() {
        let event = serde_json::json!({"triggerSource": "PostAuthentication_Authentication",
            "request": {}, "response": {}});
        assert_eq!(handle(&TriggerConfig::default(), event.clone()), Ok(event));
    }
}
