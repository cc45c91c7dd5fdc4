//! A development stand-in for the template's `PlayerDataTable`, served by
//! the local stack at [`PLAYER_DATA_PATH`] for the two DynamoDB calls a
//! game makes on it with a player's identity-pool credentials (`GetItem`,
//! `PutItem`): it takes only the credentials the local identity pool
//! issued, checks each call's SigV4 signature with them, and keeps each
//! identity to its own rows, as the template's `dynamodb:LeadingKeys`
//! condition does. Its rows live as long as the stack.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cognito_login_client::AwsCredentials;
use serde_json::{Value, json};

/// Where the local stack serves its player data.
pub const PLAYER_DATA_PATH: &str = "/dynamodb/";

/// The local player data's table name.
pub const LOCAL_PLAYER_DATA_TABLE: &str = "PlayerData";

/// The table's partition key (the identity id) and sort key, as in the
/// template.
const IDENTITY: &str = "identity";
const ITEM: &str = "item";

/// The stand-in's rows, by identity and item.
#[derive(Debug, Default)]
pub(super) struct LocalPlayerData {
    rows: Mutex<HashMap<(String, String), Value>>,
}

impl LocalPlayerData {
    /// Serves one call, signed with one of `issued`'s credentials.
    pub(super) fn serve(
        &self,
        issued: impl Fn(&str) -> Option<AwsCredentials>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let caller = match signed_by(&issued, headers, body) {
            Ok(caller) => caller,
            Err((kind, message)) => return error(kind, message),
        };
        let operation = headers
            .get("x-amz-target")
            .and_then(|target| target.to_str().ok())
            .and_then(|target| target.strip_prefix("DynamoDB_20120810."))
            .unwrap_or_default();
        let Ok(call) = serde_json::from_slice::<Value>(body) else {
            return error("SerializationException", "the body is not JSON");
        };
        if call["TableName"] != LOCAL_PLAYER_DATA_TABLE {
            return error("ResourceNotFoundException", "Requested resource not found");
        }
        let key = match operation {
            "GetItem" => &call["Key"],
            "PutItem" => &call["Item"],
            _ => {
                return error(
                    "UnknownOperationException",
                    "the local player data serves GetItem and PutItem",
                );
            }
        };
        let (Some(identity), Some(item)) = (key[IDENTITY]["S"].as_str(), key[ITEM]["S"].as_str())
        else {
            return error(
                "ValidationException",
                "The provided key element does not match the schema",
            );
        };
        // The template's role: the caller's own rows only.
        if identity != caller.identity_id {
            return error_with(
                StatusCode::BAD_REQUEST,
                "AccessDeniedException",
                "not authorized to perform this action on rows of another identity",
            );
        }
        let key = (identity.to_owned(), item.to_owned());
        let mut rows = self
            .rows
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        match operation {
            "GetItem" => match rows.get(&key) {
                Some(row) => answer(json!({"Item": row})),
                None => answer(json!({})),
            },
            _ => {
                rows.insert(key, call["Item"].clone());
                answer(json!({}))
            }
        }
    }
}

/// The credentials that signed the call, its signature checked; or the
/// refusal DynamoDB answers (its type and message).
fn signed_by(
    issued: &impl Fn(&str) -> Option<AwsCredentials>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<AwsCredentials, (&'static str, &'static str)> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    };
    let authorization = text("authorization");
    let field = |name: &str| {
        authorization
            .split([' ', ','])
            .find_map(|part| part.strip_prefix(name))
            .unwrap_or_default()
    };
    let scope: Vec<&str> = field("Credential=").split('/').collect();
    let unsigned = || {
        (
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token",
        )
    };
    let [key_id, _, region, service, _] = scope[..] else {
        return Err(unsigned());
    };
    let Some(credentials) = issued(key_id) else {
        return Err((
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    };
    if text("x-amz-security-token") != credentials.session_token.expose() {
        return Err((
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    if credentials
        .expiration
        .is_some_and(|expires| expires <= SystemTime::now())
    {
        return Err((
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ));
    }
    // The same request signed again with the issued secret, at the time it
    // names: the same signature, or a forgery.
    let Some(time) = amz_date(text("x-amz-date")) else {
        return Err(unsigned());
    };
    let url = format!("http://{}{PLAYER_DATA_PATH}", text("host"));
    let Ok(url) = reqwest::Url::parse(&url) else {
        return Err(unsigned());
    };
    let mut again = reqwest::Request::new(reqwest::Method::POST, url);
    for name in field("SignedHeaders=").split(';') {
        if matches!(name, "host" | "x-amz-date" | "x-amz-security-token") {
            continue;
        }
        if let (Ok(name), Some(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            headers.get(name),
        ) {
            again.headers_mut().insert(name, value.clone());
        }
    }
    *again.body_mut() = Some(body.to_vec().into());
    let signed = credentials.sign(&mut again, region, service, time).is_ok();
    let expected = again
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !signed || expected != authorization {
        return Err((
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    Ok(credentials)
}

/// `X-Amz-Date`'s `YYYYMMDDTHHMMSSZ` as a time.
fn amz_date(text: &str) -> Option<SystemTime> {
    let digits = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    if text.len() != 16 || &text[8..9] != "T" || !text.ends_with('Z') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
    // days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

fn answer(body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
        body.to_string(),
    )
        .into_response()
}

fn error(kind: &str, message: &str) -> Response {
    error_with(StatusCode::BAD_REQUEST, kind, message)
}

fn error_with(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
        json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": message})
            .to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_signing_time() {
        assert_eq!(
            amz_date("20150830T123600Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_440_938_160))
        );
        assert_eq!(
            amz_date("20000229T000000Z"),
            Some(UNIX_EPOCH + Duration::from_secs(951_782_400))
        );
        for bad in [
            "",
            "2015-08-30T12:36:00Z",
            "20150830123600Z0",
            "2015083XT123600Z",
        ] {
            assert_eq!(amz_date(bad), None, "{bad}");
        }
    }
}
