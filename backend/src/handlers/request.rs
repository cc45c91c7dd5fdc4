//! Reading a route's request body: JSON, each member held to Cognito's
//! own limits, refused with a message that names a member, never a value.

use cognito_login_client::body::{MAX_LOCALE_LEN, is_locale};
use cognito_login_client::{AuthAction, AuthRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::answer::ApiResponse;

/// Reads a route's JSON body, held to [`MEMBER_LIMITS`], or answers 400
/// `InvalidParameterException` naming what is wrong, never a value.
pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiResponse> {
    read(checked_value(body)?, "")
}

/// Reads the body of `action`'s route as its [`AuthRequest`], as [`parse`]
/// reads a body type.
pub(super) fn parse_request(action: AuthAction, body: &[u8]) -> Result<AuthRequest, ApiResponse> {
    let tagged = serde_json::json!({ action.name(): checked_value(body)? });
    read(tagged, action.name())
}

/// A 400 `InvalidParameterException` for a body that is wrong: `problem`
/// names what, never a value.
pub(super) fn refuse(problem: String) -> ApiResponse {
    ApiResponse::error(
        400,
        "InvalidParameterException",
        format!("invalid request body: {problem}"),
    )
}

/// The body as JSON, each top-level member within its limits.
fn checked_value(body: &[u8]) -> Result<Value, ApiResponse> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| refuse(syntax_problem(&error)))?;
    if let Value::Object(members) = &value {
        for (name, member) in members {
            check_member(name, member).map_err(refuse)?;
        }
    }
    Ok(value)
}

/// Reads `value` as `T`; `within` is the member that holds the body, which
/// the path of a wrong member leaves out.
fn read<T: DeserializeOwned>(value: Value, within: &str) -> Result<T, ApiResponse> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let path = match path.strip_prefix(within) {
            Some("") => ".",
            Some(inner) if !within.is_empty() => inner.trim_start_matches('.'),
            _ => path.as_str(),
        };
        let message = error.inner().to_string();
        // serde's message quotes a value of the wrong type or an unknown
        // variant, which may be a password: only the member is named.
        refuse(if message.starts_with("missing field") {
            message
        } else if path == "." {
            "the body is not a JSON object of the route's members".to_owned()
        } else {
            format!("{path} has the wrong type or value")
        })
    })
}

/// Reads `body` as every route's body type does, and as `PUT /profile`
/// does into an in-memory store. No input may panic.
#[cfg(fuzzing)]
pub(crate) fn fuzz(body: &[u8]) {
    use cognito_login_client::body;
    let _ = parse::<body::SignIn>(body);
    let _ = parse::<body::Challenge>(body);
    let _ = parse::<body::RememberDevice>(body);
    for action in AuthAction::ALL {
        let _ = parse_request(action, body);
    }
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime starts")
    });
    let store = crate::LocalProfiles::new(None);
    runtime.block_on(crate::profile::handle_put(&store, "fuzz", body));
}

/// What is wrong with a body that is not JSON, without its text.
fn syntax_problem(error: &serde_json::Error) -> String {
    if error.is_eof() {
        "the JSON ends early".to_owned()
    } else {
        format!(
            "not JSON at line {} column {}",
            error.line(),
            error.column()
        )
    }
}

/// The characters a member may hold.
#[derive(Clone, Copy)]
enum Chars {
    Any,
    /// Cognito's `TokenModelType`: `[A-Za-z0-9-_=.]+`.
    Token,
    /// Cognito's `DeviceKeyType`: `[\w-]+_[0-9a-f-]+`.
    DeviceKey,
    /// A language tag: `[A-Za-z0-9-]+`.
    Locale,
}

/// The limits on the string members of the request bodies, by name, in
/// characters: Cognito's own (its API model's) where it has them, so a
/// body is refused here as Cognito would refuse it, whichever Cognito (or
/// emulator) is behind, and garbage spends none of the account's Cognito
/// request quota. `backend/openapi.yaml` states the same limits;
/// `the_routes_hold_members_to_the_documents_limits` tries both sides of
/// each bound.
const MEMBER_LIMITS: [(&str, usize, usize, Chars); 16] = [
    ("username", 1, 128, Chars::Any),
    ("password", 1, 256, Chars::Any),
    ("previousPassword", 1, 256, Chars::Any),
    ("proposedPassword", 1, 256, Chars::Any),
    ("code", 1, 2048, Chars::Any),
    ("email", 1, 2048, Chars::Any),
    ("locale", 1, MAX_LOCALE_LEN, Chars::Locale),
    ("session", 20, 2048, Chars::Any),
    ("answer", 0, 256, Chars::Any),
    ("accessToken", 1, 8192, Chars::Token),
    ("refreshToken", 1, 8192, Chars::Token),
    ("deviceKey", 1, 55, Chars::DeviceKey),
    ("deviceName", 1, 1024, Chars::Any),
    ("passwordVerifier", 1, 4096, Chars::Any),
    ("salt", 1, 4096, Chars::Any),
    ("responses", 0, 8192, Chars::Any),
];

/// Checks one top-level member against [`MEMBER_LIMITS`] (each value of
/// an object member, for `responses`); a message naming it, never its value.
fn check_member(name: &str, member: &Value) -> Result<(), String> {
    let Some(&(_, min, max, chars)) = MEMBER_LIMITS.iter().find(|limit| limit.0 == name) else {
        return Ok(());
    };
    let values: Vec<&str> = match member {
        Value::String(text) => vec![text],
        Value::Object(values) => values.values().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    for text in values {
        let length = text.chars().count();
        if length < min || length > max {
            return Err(format!("{name} needs {min} to {max} characters"));
        }
        let token_char = |c: char| c.is_ascii_alphanumeric() || "-_=.".contains(c);
        let well_formed = match chars {
            Chars::Any => true,
            Chars::Token => text.chars().all(token_char),
            Chars::Locale => is_locale(text),
            Chars::DeviceKey => text.rsplit_once('_').is_some_and(|(region, id)| {
                !region.is_empty()
                    && region
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                    && !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_digit() || "abcdef-".contains(c))
            }),
        };
        if !well_formed {
            return Err(format!("{name} has characters it cannot have"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use cognito_login_client::body;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_refused_body_is_named_without_its_values() {
        let refused = |body: &[u8]| match parse_request(AuthAction::SetMfa, body) {
            Err(answer) => answer.body["message"].as_str().unwrap().to_owned(),
            Ok(_) => panic!("{} was taken", String::from_utf8_lossy(body)),
        };
        for (body, secret, member) in [
            (
                &br#"{"accessToken":"t","method":"Hunter2-secret","enabled":true}"#[..],
                "Hunter2",
                "method",
            ),
            (
                br#"{"accessToken":12345678,"method":"Email","enabled":true}"#,
                "12345678",
                "accessToken",
            ),
            (
                br#"{"accessToken":"t","method":"Email","enabled":"Hunter2"}"#,
                "Hunter2",
                "enabled",
            ),
            (
                br#"{"accessToken":"Hunter2 secret","method":"Email","enabled":true}"#,
                "Hunter2",
                "accessToken",
            ),
            (br#"["Hunter2-secret"]"#, "Hunter2", "object"),
        ] {
            let message = refused(body);
            assert!(!message.contains(secret), "{message}");
            assert!(message.contains(member), "{message}");
        }
        assert_eq!(
            refused(br#"{"method":"Email","enabled":true}"#),
            "invalid request body: missing field `accessToken`"
        );
        assert_eq!(
            refused(b"{\"acc"),
            "invalid request body: the JSON ends early"
        );
        assert_eq!(
            refused(b"{]"),
            "invalid request body: not JSON at line 1 column 2"
        );
    }

    #[test]
    fn members_are_held_to_cognitos_limits_before_cognito_sees_them() {
        let sign_in = |username: &str, device_key: &str| {
            let body = json!({"username": username, "password": "p", "deviceKey": device_key});
            parse::<body::SignIn>(body.to_string().as_bytes())
                .map(|_| ())
                .map_err(|answer| answer.body["message"].as_str().unwrap().to_owned())
        };
        let key = "eu-west-1_0a1b2c3d-0000-4000-8000-00000000abcd";
        assert_eq!(sign_in("ü".repeat(128).as_str(), key), Ok(()));
        assert_eq!(
            sign_in("ü".repeat(129).as_str(), key),
            Err("invalid request body: username needs 1 to 128 characters".into())
        );
        assert_eq!(
            sign_in("", key),
            Err("invalid request body: username needs 1 to 128 characters".into())
        );
        for bad in [
            "eu-west-1_",
            "_0a1b",
            "eu-west-1_0A1B",
            "eu west_0a1b",
            "eu-west-1",
        ] {
            assert_eq!(
                sign_in("player", bad),
                Err("invalid request body: deviceKey has characters it cannot have".into()),
                "{bad}"
            );
        }
    }
}
