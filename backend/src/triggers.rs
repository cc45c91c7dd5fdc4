//! The user pool's Lambda triggers, over the events Cognito documents
//! (typed by `aws_lambda_events`). On AWS the template wires them to a
//! function of their own, built from the same binary
//! (`COGNITO_LOGIN_TRIGGERS=1`); the local stack calls the same handlers
//! around the emulator, which runs no triggers.
//!
//! - **Pre sign-up**: confirms the account and marks its email verified
//!   when the stack says so (test and staging stacks), and takes sign-ups
//!   only from listed email domains when it lists any.
//! - **Post confirmation**: writes the profile a new player starts with,
//!   when the stack gives one. Cognito runs it on `ConfirmSignUp` (and
//!   `AdminConfirmSignUp`), not for an account the pre sign-up trigger
//!   confirmed.
//! - **Pre token generation** (the version 2 event, which reaches the
//!   access token too): refuses tokens to the [`SUSPENDED_GROUP`]'s members,
//!   at sign-in and at every refresh, and adds the player's
//!   [`ROLE_CLAIM`] to both tokens for a game server to check.
//! - **Custom message**: writes the pool's emails (the codes to confirm an
//!   account, reset a password, verify an address or sign in, and an
//!   invitation) in the player's language, the account's `locale`
//!   attribute, which the client sets at sign-up, from the same
//!   translation table as the menu's sentences.

use std::sync::Arc;

use aws_lambda_events::event::cognito::{
    ClaimsAndScopeOverrideDetailsV2, ClaimsOverrideDetails, CognitoAccessTokenGenerationV2,
    CognitoEventUserPoolsCustomMessage, CognitoEventUserPoolsCustomMessageTriggerSource,
    CognitoEventUserPoolsPostConfirmation, CognitoEventUserPoolsPostConfirmationTriggerSource,
    CognitoEventUserPoolsPreSignup, CognitoEventUserPoolsPreTokenGen,
    CognitoEventUserPoolsPreTokenGenV2, CognitoIdTokenGenerationV2,
};
use cognito_login_client::{FALLBACK_LOCALE, Translations};
use serde_json::Value;

use crate::profile::{MAX_PROFILE_BYTES, ProfileError, ProfileStore};

/// What the triggers do, from the stack's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerConfig {
    /// Confirm every new account at sign-up, its email marked verified: no
    /// code is sent. For test and staging stacks.
    pub auto_confirm: bool,
    /// Take sign-ups only for addresses in these domains (`example.com`,
    /// compared without case); empty: any domain.
    pub allowed_email_domains: Vec<String>,
    /// The profile a player starts with once their account is confirmed
    /// (version 1); `None`: the profile starts empty (version 0, `null`).
    pub initial_profile: Option<Value>,
    /// Run the pre token generation trigger: no tokens for the
    /// [`SUSPENDED_GROUP`], a [`ROLE_CLAIM`] in everyone else's.
    pub game_claims: bool,
    /// Run the custom message trigger: the pool's emails in the player's
    /// language.
    pub translated_emails: bool,
}

/// The group whose members get no tokens while `game_claims` is on: their
/// sign-ins and refreshes fail with "This account is suspended.", so a
/// suspended player's session ends at its next refresh (sign them out
/// everywhere, `AdminUserGlobalSignOut`, to end it at once).
pub const SUSPENDED_GROUP: &str = "suspended";

/// The claim the pre token generation trigger adds to both tokens: `admin`
/// for the [`ADMIN_GROUP`](crate::profile::ADMIN_GROUP), `tester` for
/// `testers`, else `player`.
pub const ROLE_CLAIM: &str = "game:role";

/// The role of a player in `groups`.
pub fn role_of(groups: &[String]) -> &'static str {
    let member = |group: &str| groups.iter().any(|name| name == group);
    if member(crate::profile::ADMIN_GROUP) {
        "admin"
    } else if member("testers") {
        "tester"
    } else {
        "player"
    }
}

impl TriggerConfig {
    /// From the function's environment: `AUTO_CONFIRM` (`true`),
    /// `ALLOWED_EMAIL_DOMAINS` (comma-separated), `INITIAL_PROFILE` (a
    /// JSON document), `GAME_CLAIMS` and `TRANSLATED_EMAILS` (`true`), as
    /// the template sets them.
    pub fn from_env() -> Result<Self, String> {
        let config = Self::from_values(
            std::env::var("AUTO_CONFIRM").ok().as_deref(),
            std::env::var("ALLOWED_EMAIL_DOMAINS").ok().as_deref(),
        )
        .with_initial_profile(std::env::var("INITIAL_PROFILE").ok().as_deref())?;
        let on =
            |name: &str| std::env::var(name).is_ok_and(|value| value.eq_ignore_ascii_case("true"));
        Ok(Self {
            game_claims: on("GAME_CLAIMS"),
            translated_emails: on("TRANSLATED_EMAILS"),
            ..config
        })
    }

    /// The same settings, new players starting with the JSON document
    /// `initial_profile` (none when absent or empty).
    pub fn with_initial_profile(self, initial_profile: Option<&str>) -> Result<Self, String> {
        let initial_profile = match initial_profile.map(str::trim) {
            None | Some("") => None,
            Some(text) if text.len() > MAX_PROFILE_BYTES => {
                return Err(format!("INITIAL_PROFILE is over {MAX_PROFILE_BYTES} bytes"));
            }
            Some(text) => Some(
                serde_json::from_str(text)
                    .map_err(|error| format!("INITIAL_PROFILE is not JSON: {error}"))?,
            ),
        };
        Ok(Self {
            initial_profile,
            ..self
        })
    }

    /// From the two settings' texts.
    pub fn from_values(auto_confirm: Option<&str>, allowed_email_domains: Option<&str>) -> Self {
        Self {
            initial_profile: None,
            game_claims: false,
            translated_emails: false,
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

/// Refuses a member of the [`SUSPENDED_GROUP`].
fn refuse_suspended(groups: &[String]) -> Result<(), TriggerRefusal> {
    if groups.iter().any(|group| group == SUSPENDED_GROUP) {
        return Err(TriggerRefusal("This account is suspended.".into()));
    }
    Ok(())
}

/// The pre token generation trigger (version 2): refuses a member of the
/// [`SUSPENDED_GROUP`]; adds the [`ROLE_CLAIM`] to the ID and the access
/// token, the player's groups left as they are.
pub fn pre_token_generation(
    mut event: CognitoEventUserPoolsPreTokenGenV2,
) -> Result<CognitoEventUserPoolsPreTokenGenV2, TriggerRefusal> {
    let groups = &event.request.group_configuration.groups_to_override;
    refuse_suspended(groups)?;
    let role = Value::from(role_of(groups));
    let mut id_token = CognitoIdTokenGenerationV2::default();
    id_token
        .claims_to_add_or_override
        .insert(ROLE_CLAIM.into(), role.clone());
    let mut access_token = CognitoAccessTokenGenerationV2::default();
    access_token
        .claims_to_add_or_override
        .insert(ROLE_CLAIM.into(), role);
    let mut details = ClaimsAndScopeOverrideDetailsV2::default();
    // An answer's groups replace the player's: the same ones, unchanged.
    details.group_override_details = event.request.group_configuration.clone();
    details.id_token_generation = Some(id_token);
    details.access_token_generation = Some(access_token);
    event.response.claims_and_scope_override_details = Some(details);
    Ok(event)
}

/// [`pre_token_generation`] for a pool that sends the version 1 event
/// (`V1_0`, the only one of the Lite tier), which reaches the ID token
/// alone.
pub fn pre_token_generation_v1(
    mut event: CognitoEventUserPoolsPreTokenGen,
) -> Result<CognitoEventUserPoolsPreTokenGen, TriggerRefusal> {
    let groups = &event.request.group_configuration.groups_to_override;
    refuse_suspended(groups)?;
    let mut details = ClaimsOverrideDetails::default();
    details
        .claims_to_add_or_override
        .insert(ROLE_CLAIM.into(), role_of(groups).into());
    details.group_override_details = event.request.group_configuration.clone();
    event.response.claims_override_details = Some(details);
    Ok(event)
}

/// The custom message trigger: the email of the event's kind in the
/// language of the account's `locale` attribute (English when it has none,
/// or one without sentences), from the shipped translation tables. Cognito
/// puts the code where the event's `codeParameter` stands (and, for an
/// invitation, the username at its `usernameParameter`); SMS and kinds
/// without a sentence keep Cognito's own message.
pub fn custom_message(
    mut event: CognitoEventUserPoolsCustomMessage,
) -> CognitoEventUserPoolsCustomMessage {
    use CognitoEventUserPoolsCustomMessageTriggerSource as Source;
    static SHIPPED: std::sync::LazyLock<Translations> =
        std::sync::LazyLock::new(|| Translations::shipped_in(FALLBACK_LOCALE));
    let kind = match event.cognito_event_user_pools_header.trigger_source {
        Some(Source::SignUp | Source::ResendCode) => "sign-up",
        Some(Source::ForgotPassword) => "reset",
        Some(Source::UpdateUserAttribute | Source::VerifyUserAttribute) => "verify",
        Some(Source::Authentication) => "sign-in",
        Some(Source::AdminCreateUser) => "invite",
        _ => return event,
    };
    let request = &event.request;
    let Some(code) = request.code_parameter.clone() else {
        return event;
    };
    let username = match &request.username_parameter {
        Some(placeholder) if kind == "invite" => placeholder.clone(),
        _ => html_escaped(
            event
                .cognito_event_user_pools_header
                .user_name
                .as_deref()
                .unwrap_or_default(),
        ),
    };
    let mut texts = SHIPPED.clone();
    if let Some(locale) = request
        .user_attributes
        .get("locale")
        .and_then(Value::as_str)
    {
        texts.select(locale);
    }
    let values = [("code", code.as_str()), ("username", username.as_str())];
    event.response.email_subject = Some(texts.format(&format!("email.{kind}.subject"), &[]));
    event.response.email_message = Some(texts.format(&format!("email.{kind}.body"), &values));
    event
}

/// `text` for an HTML email: a player's name is theirs to choose.
fn html_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The triggers, with the profile store the post confirmation trigger
/// writes to.
#[derive(Debug, Clone, Default)]
pub struct Triggers {
    config: TriggerConfig,
    profiles: Option<Arc<dyn ProfileStore>>,
}

impl Triggers {
    /// Triggers doing what `config` says.
    pub fn new(config: TriggerConfig) -> Self {
        Self {
            config,
            profiles: None,
        }
    }

    /// The same triggers, writing new players' profiles to `store`.
    pub fn with_profiles(self, store: Arc<dyn ProfileStore>) -> Self {
        Self {
            profiles: Some(store),
            ..self
        }
    }

    /// What they do.
    pub fn config(&self) -> &TriggerConfig {
        &self.config
    }

    /// Serves one trigger event, whichever trigger it is (its
    /// `triggerSource`), answering the event with its response filled in.
    pub async fn handle(&self, event: Value) -> Result<Value, TriggerRefusal> {
        let source = event["triggerSource"].as_str().unwrap_or_default();
        let malformed =
            |error: serde_json::Error| TriggerRefusal(format!("a malformed event: {error}"));
        match source {
            "PreSignUp_SignUp" | "PreSignUp_AdminCreateUser" | "PreSignUp_ExternalProvider" => {
                let event = serde_json::from_value(event).map_err(malformed)?;
                let event = pre_sign_up(&self.config, event)?;
                serde_json::to_value(event).map_err(malformed)
            }
            "PostConfirmation_ConfirmSignUp" | "PostConfirmation_ConfirmForgotPassword" => {
                let event = serde_json::from_value(event).map_err(malformed)?;
                let event = self.post_confirmation(event).await;
                serde_json::to_value(event).map_err(malformed)
            }
            source if source.starts_with("CustomMessage_") && self.config.translated_emails => {
                let event = serde_json::from_value(event).map_err(malformed)?;
                serde_json::to_value(custom_message(event)).map_err(malformed)
            }
            source if source.starts_with("TokenGeneration_") && self.config.game_claims => {
                if event["version"] == "1" {
                    let event = serde_json::from_value(event).map_err(malformed)?;
                    let event = pre_token_generation_v1(event)?;
                    return serde_json::to_value(event).map_err(malformed);
                }
                let event = serde_json::from_value(event).map_err(malformed)?;
                let event = pre_token_generation(event)?;
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

    /// The post confirmation trigger: a newly confirmed player's profile
    /// starts as [`TriggerConfig::initial_profile`], unless one was written
    /// already. A store that fails is logged, not the player's problem: the
    /// account is confirmed either way, and the profile starts empty.
    pub async fn post_confirmation(
        &self,
        event: CognitoEventUserPoolsPostConfirmation,
    ) -> CognitoEventUserPoolsPostConfirmation {
        let new_account = matches!(
            event.cognito_event_user_pools_header.trigger_source,
            Some(CognitoEventUserPoolsPostConfirmationTriggerSource::ConfirmSignUp)
        );
        if let (true, Some(initial), Some(store), Some(sub)) = (
            new_account,
            &self.config.initial_profile,
            &self.profiles,
            event.request.user_attributes.get("sub"),
        ) {
            match store.put(sub, 0, initial.clone()).await {
                Ok(_) | Err(ProfileError::Conflict(_)) => {}
                Err(error) => tracing::warn!(%error, "a new player's profile was not written"),
            }
        }
        event
    }
}

/// [`Triggers::handle`] with `config` and no profile store.
pub async fn handle(config: &TriggerConfig, event: Value) -> Result<Value, TriggerRefusal> {
    Triggers::new(config.clone()).handle(event).await
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

/// The post confirmation event Cognito sends once `ConfirmSignUp` confirmed
/// an account (its documented shape), as the local stack makes it.
pub fn post_confirmation_event(
    user_pool_id: &str,
    client_id: &str,
    username: &str,
    attributes: impl IntoIterator<Item = (String, String)>,
) -> Value {
    let mut event = pre_sign_up_event(user_pool_id, client_id, username, attributes);
    event["triggerSource"] = "PostConfirmation_ConfirmSignUp".into();
    event["request"]["validationData"] = Value::Null;
    event["response"] = serde_json::json!({});
    event
}

/// The pre token generation event (version 2) Cognito sends when it issues
/// tokens to `username` in `groups` (its documented shape), as the local
/// stack makes it; `refresh` for a refresh's tokens.
pub fn pre_token_generation_event(
    user_pool_id: &str,
    client_id: &str,
    username: &str,
    groups: &[String],
    refresh: bool,
) -> Value {
    let mut event = pre_sign_up_event(user_pool_id, client_id, username, []);
    event["version"] = "2".into();
    event["triggerSource"] = if refresh {
        "TokenGeneration_RefreshTokens"
    } else {
        "TokenGeneration_Authentication"
    }
    .into();
    event["request"] = serde_json::json!({
        "userAttributes": {},
        "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [],
            "preferredRole": null},
        "scopes": ["aws.cognito.signin.user.admin"]
    });
    event["response"] = serde_json::json!({"claimsAndScopeOverrideDetails": null});
    event
}

/// The custom message event Cognito sends for a code of `source`
/// (`CustomMessage_SignUp`, …) to `username` (its documented shape), as the
/// local stack makes it.
pub fn custom_message_event(
    user_pool_id: &str,
    client_id: &str,
    username: &str,
    source: &str,
    locale: Option<&str>,
) -> Value {
    let attributes = locale.map(|locale| ("locale".to_owned(), locale.to_owned()));
    let mut event = pre_sign_up_event(user_pool_id, client_id, username, attributes);
    event["triggerSource"] = source.into();
    event["request"]["codeParameter"] = "{####}".into();
    event["request"]["linkParameter"] = "{##Click Here##}".into();
    event["request"]["usernameParameter"] = Value::Null;
    if let Some(fields) = event["request"].as_object_mut() {
        fields.remove("validationData");
    }
    event["response"] =
        serde_json::json!({"smsMessage": null, "emailMessage": null, "emailSubject": null});
    event
}

#[cfg(test)]
mod tests;
