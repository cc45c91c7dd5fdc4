//! The pool's signing keys as a document that can be kept with a session.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;

/// The pool's signing keys as it publishes them (its JWKS document): kept
/// with a stored session, so that a launch without network can verify that
/// session's tokens again. They are public keys, not secrets; they are kept
/// in the same keychain entry as the tokens, so whoever could change them
/// could change the tokens too.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeys {
    document: Arc<str>,
    stored: bool,
}

impl SigningKeys {
    /// Keys read back from a store: used only when the pool's own cannot be
    /// fetched.
    pub fn stored(document: impl Into<Arc<str>>) -> Self {
        Self {
            document: document.into(),
            stored: true,
        }
    }

    /// The JWKS document, to store.
    pub fn document(&self) -> &str {
        &self.document
    }

    /// Whether these are a stored copy rather than keys fetched from the
    /// pool during this run: tokens verified with them were verified
    /// without the network.
    pub fn is_stored_copy(&self) -> bool {
        self.stored
    }

    /// Keys fetched from the pool during this run.
    pub(crate) fn fetched(document: &str) -> Self {
        Self {
            document: document.into(),
            stored: false,
        }
    }

    /// The same keys, marked as not fetched during this run.
    pub(crate) fn as_stored_copy(&self) -> Self {
        Self {
            document: Arc::clone(&self.document),
            stored: true,
        }
    }

    /// The keys of the document, by `kid`.
    pub(crate) fn parse(&self) -> Result<HashMap<String, DecodingKey>, String> {
        let set: JwkSet =
            serde_json::from_str(&self.document).map_err(|error| error.to_string())?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)))
            .collect())
    }
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("bytes", &self.document.len())
            .field("stored", &self.stored)
            .finish()
    }
}
