//! The key the local stack signs an ID token with once the pre token
//! generation trigger changed its claims. The embedded emulator signs its
//! tokens with a key the local stack cannot reach, so a changed ID token is
//! signed again with this one, which the pool's key set lists beside the
//! emulator's: a game checks it as it checks any of the pool's tokens.
//! Access tokens keep the emulator's signature (the emulator checks them
//! itself), so the trigger's changes to them are not carried out here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value, json};

/// The claims a pre token generation trigger cannot change: Cognito keeps
/// them as it made them (its developer guide's list).
const KEPT: [&str; 17] = [
    "acr",
    "amr",
    "aud",
    "at_hash",
    "auth_time",
    "azp",
    "cognito:username",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "sub",
    "token_use",
];

/// An RSA key (RS256, as Cognito's) for changed ID tokens, and its JWK.
pub(super) struct IdTokenSigner {
    key: EncodingKey,
    kid: String,
    jwk: Value,
}

impl IdTokenSigner {
    /// A new key (2048 bits; slow unoptimized, so off the async threads).
    pub(super) fn generate() -> Result<Self, String> {
        let mut rng = rand::thread_rng();
        let private = RsaPrivateKey::new(&mut rng, 2048).map_err(|error| error.to_string())?;
        let der = private.to_pkcs1_der().map_err(|error| error.to_string())?;
        let mut id = [0; 12];
        rng.fill_bytes(&mut id);
        let kid = format!("local-stack-{}", URL_SAFE_NO_PAD.encode(id));
        let public = private.to_public_key();
        let jwk = json!({
            "alg": "RS256",
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            "kid": kid,
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "use": "sig",
        });
        Ok(Self {
            key: EncodingKey::from_rsa_der(der.as_bytes()),
            kid,
            jwk,
        })
    }

    /// The key as the pool's key set lists it.
    pub(super) fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// An ID token of `claims`, signed with this key.
    pub(super) fn sign(&self, claims: &Map<String, Value>) -> Option<String> {
        let mut header = Header::new(Algorithm::RS256);
        // Cognito's header names the key and the algorithm only.
        header.typ = None;
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).ok()
    }
}

/// `claims`, an ID token's, as a pre token generation trigger's `answer`
/// (version 1 or 2) leaves them: its claims added or replaced, those it
/// suppresses removed (a claim both replaced and suppressed is
/// suppressed), the groups it names in place of the token's (none named:
/// none), and those Cognito keeps kept. An answer without override details
/// changes nothing. Returns whether anything changed.
pub(super) fn apply_answer(claims: &mut Map<String, Value>, answer: &Value) -> bool {
    let response = &answer["response"];
    let (details, groups) = match &response["claimsAndScopeOverrideDetails"] {
        Value::Object(_) => {
            let details = &response["claimsAndScopeOverrideDetails"];
            (
                &details["idTokenGeneration"],
                &details["groupOverrideDetails"],
            )
        }
        _ => {
            let details = &response["claimsOverrideDetails"];
            if !details.is_object() {
                return false;
            }
            (details, &details["groupOverrideDetails"])
        }
    };
    let before = claims.clone();
    let changeable = |name: &str| !KEPT.contains(&name);
    if let Some(added) = details["claimsToAddOrOverride"].as_object() {
        for (name, value) in added.iter().filter(|(name, _)| changeable(name)) {
            claims.insert(name.clone(), value.clone());
        }
    }
    if let Some(suppressed) = details["claimsToSuppress"].as_array() {
        for name in suppressed.iter().filter_map(Value::as_str) {
            if changeable(name) {
                claims.remove(name);
            }
        }
    }
    match groups["groupsToOverride"].as_array() {
        Some(named) if !named.is_empty() => {
            claims.insert("cognito:groups".into(), Value::Array(named.clone()));
        }
        _ => {
            claims.remove("cognito:groups");
        }
    }
    *claims != before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Map<String, Value> {
        json!({
            "sub": "5f1c", "iss": "http://127.0.0.1/eu-west-1_Pool", "aud": "client",
            "token_use": "id", "cognito:username": "ada", "email": "ada@example.com",
            "cognito:groups": ["testers"], "exp": 2, "iat": 1,
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn a_version_one_answer_adds_suppresses_and_regroups_as_cognito_documents() {
        // The developer guide's example, with claims Cognito keeps.
        let answer = json!({"response": {"claimsOverrideDetails": {
            "claimsToAddOrOverride": {"attribute_key": "attribute_value", "sub": "mallory",
                "email": "both@example.com"},
            "claimsToSuppress": ["email", "iss"],
            "groupOverrideDetails": {"groupsToOverride": ["group-A", "group-B"]},
        }}});
        let mut changed = claims();
        assert!(apply_answer(&mut changed, &answer));
        assert_eq!(changed["attribute_key"], "attribute_value");
        assert_eq!(changed["sub"], "5f1c", "Cognito keeps sub");
        assert_eq!(changed["iss"], claims()["iss"], "and iss");
        assert!(!changed.contains_key("email"), "suppressed wins");
        assert_eq!(changed["cognito:groups"], json!(["group-A", "group-B"]));
    }

    #[test]
    fn a_version_two_answer_changes_the_id_token_and_no_groups_suppresses_them() {
        let answer = json!({"version": "2", "response": {"claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"game:role": "player"}},
            "accessTokenGeneration": {"claimsToAddOrOverride": {"game:role": "ignored"}},
            "groupOverrideDetails": null,
        }}});
        let mut changed = claims();
        assert!(apply_answer(&mut changed, &answer));
        assert_eq!(changed["game:role"], "player");
        assert!(!changed.contains_key("cognito:groups"));
        // No override details: the token as it was.
        let mut same = claims();
        assert!(!apply_answer(&mut same, &json!({"response": {}})));
        assert_eq!(same, claims());
    }
}
