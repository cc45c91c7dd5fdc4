//! Calls to AWS services as the player or guest whose identity-pool
//! credentials these are, signed with Signature Version 4 by AWS's
//! `aws-sigv4` crate (feature `aws-calls`).

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crossbeam_channel::{Receiver, Sender};

use crate::error::{AuthError, ConfigError};
use crate::http::{checked_url, http_client, read_answer, transport_error};
use crate::identity_pool::AwsCredentials;
use crate::response::checked_json;
use crate::worker::AuthWorker;

impl AwsCredentials {
    /// Signs `request` as this identity with SigV4 for `service` (its
    /// signing name: `dynamodb`, `s3`, `execute-api`) in `region`, at `now`:
    /// adds `Authorization`, `X-Amz-Date` and the session token
    /// (`X-Amz-Security-Token`, marked sensitive). The body is part of the
    /// signature, so it must be in memory; a streamed body is refused.
    pub fn sign(
        &self,
        request: &mut reqwest::Request,
        region: &str,
        service: &str,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        let refused =
            |reason: String| AuthError::Config(format!("cannot sign the request: {reason}"));
        let session_token = Some(self.session_token.expose())
            .filter(|token| !token.is_empty())
            .map(str::to_owned);
        let identity = aws_credential_types::Credentials::new(
            &self.access_key_id,
            self.secret_key.expose(),
            session_token,
            self.expiration,
            "cognito-identity",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(now)
            .settings(SigningSettings::default())
            .build()
            .map_err(|error| refused(error.to_string()))?
            .into();
        let body = match request.body() {
            None => &[][..],
            Some(body) => body
                .as_bytes()
                .ok_or_else(|| refused("its body is a stream".into()))?,
        };
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| Ok((name.as_str(), value.to_str()?)))
            .collect::<Result<Vec<_>, reqwest::header::ToStrError>>()
            .map_err(|_| refused("a header is not text".into()))?;
        let signable = SignableRequest::new(
            request.method().as_str(),
            request.url().as_str(),
            headers.into_iter(),
            SignableBody::Bytes(body),
        )
        .map_err(|error| refused(error.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|error| refused(error.to_string()))?
            .into_parts();
        let (headers, query) = instructions.into_parts();
        for header in headers {
            let mut value = HeaderValue::from_str(header.value())
                .map_err(|_| refused(format!("{} is not a header value", header.name())))?;
            value.set_sensitive(header.sensitive());
            request
                .headers_mut()
                .insert(HeaderName::from_static(header.name()), value);
        }
        // Header signing (the default settings) adds no query.
        for (name, value) in query {
            request
                .url_mut()
                .query_pairs_mut()
                .append_pair(name, &value);
        }
        Ok(())
    }
}

/// An AWS service's JSON API (DynamoDB, Kinesis, …), called as the player
/// or guest whose credentials each call is given:
///
/// ```no_run
/// # async fn example(credentials: cognito_login_client::AwsCredentials)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// use cognito_login_client::AwsJsonService;
/// use serde_json::json;
///
/// let dynamodb = AwsJsonService::dynamodb("eu-west-1")?;
/// let item = dynamodb
///     .call(&credentials, "GetItem", &json!({
///         "TableName": "PlayerData",
///         "Key": {"identity": {"S": credentials.identity_id}, "item": {"S": "best"}},
///     }))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AwsJsonService {
    http: reqwest::Client,
    endpoint: Url,
    region: String,
    service: String,
    target_prefix: String,
    content_type: &'static str,
    max_body_bytes: usize,
}

/// The AWS JSON protocol a service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsJsonVersion {
    /// `awsJson1_0` (DynamoDB).
    V1_0,
    /// `awsJson1_1` (Kinesis, Cognito).
    V1_1,
}

impl AwsJsonService {
    /// DynamoDB in `region`, at its regional endpoint.
    pub fn dynamodb(region: &str) -> Result<Self, ConfigError> {
        Self::new(
            &format!("https://dynamodb.{region}.amazonaws.com/"),
            region,
            "dynamodb",
            "DynamoDB_20120810",
            AwsJsonVersion::V1_0,
        )
    }

    /// The service whose signing name is `service`, at `endpoint` in
    /// `region`; its operations are `{target_prefix}.{operation}`.
    pub fn new(
        endpoint: &str,
        region: &str,
        service: &str,
        target_prefix: &str,
        version: AwsJsonVersion,
    ) -> Result<Self, ConfigError> {
        let endpoint = checked_url("AWS service endpoint", endpoint)?;
        Ok(Self {
            http: http_client(&endpoint, Duration::from_secs(10))?,
            endpoint,
            region: region.to_owned(),
            service: service.to_owned(),
            target_prefix: target_prefix.to_owned(),
            content_type: match version {
                AwsJsonVersion::V1_0 => "application/x-amz-json-1.0",
                AwsJsonVersion::V1_1 => "application/x-amz-json-1.1",
            },
            max_body_bytes: 1024 * 1024,
        })
    }

    /// The same service at another endpoint (an emulator), in the same
    /// region.
    pub fn with_endpoint(self, endpoint: &str) -> Result<Self, ConfigError> {
        let endpoint = checked_url("AWS service endpoint", endpoint)?;
        Ok(Self {
            http: http_client(&endpoint, Duration::from_secs(10))?,
            endpoint,
            ..self
        })
    }

    /// Calls `operation` with `body` as `credentials`' identity; the
    /// service's answer, or its error as [`AuthError::Server`].
    pub async fn call(
        &self,
        credentials: &AwsCredentials,
        operation: &str,
        body: &Value,
    ) -> Result<Value, AuthError> {
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, self.content_type)
            .header(
                "x-amz-target",
                format!("{}.{operation}", self.target_prefix),
            )
            .body(serde_json::to_vec(body).expect("JSON values always serialize"))
            .build()
            .map_err(|error| transport_error(error, ""))?;
        credentials.sign(&mut request, &self.region, &self.service, SystemTime::now())?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|error| transport_error(error, ""))?;
        let answer = read_answer(response, self.max_body_bytes).await?;
        tracing::debug!(operation, status = answer.status, "an AWS service answered");
        checked_json(answer.answer().aws_json())
    }
}

/// The id [`AwsCallQueue::start`] gives a call, to match its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AwsCallId(pub u64);

/// The end of an AWS call.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsReply {
    /// The id the call was started with.
    pub id: AwsCallId,
    /// The identity it was made as: a reply for an earlier player or guest
    /// is the game's to drop.
    pub identity_id: String,
    /// The service's answer, or why there is none.
    pub result: Result<Value, AuthError>,
}

/// AWS calls run on a worker's runtime, never on the frame: started with
/// [`start`](Self::start), their answers taken with
/// [`next_reply`](Self::next_reply) in the order they end.
#[derive(Debug)]
pub struct AwsCallQueue {
    replies: (Sender<AwsReply>, Receiver<AwsReply>),
    next: u64,
}

impl Default for AwsCallQueue {
    fn default() -> Self {
        Self {
            replies: crossbeam_channel::unbounded(),
            next: 0,
        }
    }
}

impl AwsCallQueue {
    /// Calls `operation` of `service` with `body` as `credentials`'
    /// identity, on `worker`'s runtime.
    pub fn start(
        &mut self,
        worker: &AuthWorker,
        service: &AwsJsonService,
        credentials: &AwsCredentials,
        operation: &str,
        body: Value,
    ) -> AwsCallId {
        self.next += 1;
        let id = AwsCallId(self.next);
        let (service, credentials, operation) =
            (service.clone(), credentials.clone(), operation.to_owned());
        let replies = self.replies.0.clone();
        worker.runtime().spawn(async move {
            let result = service.call(&credentials, &operation, &body).await;
            let _ = replies.send(AwsReply {
                id,
                identity_id: credentials.identity_id,
                result,
            });
        });
        id
    }

    /// The next call that ended, if any. Never blocks.
    pub fn next_reply(&self) -> Option<AwsReply> {
        self.replies.1.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::secret::{AwsSecretKey, AwsSessionToken};

    fn credentials(session_token: &str) -> AwsCredentials {
        AwsCredentials {
            identity_id: "us-east-1:example".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_key: AwsSecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: AwsSessionToken::new(session_token),
            expiration: None,
        }
    }

    /// 2015-08-30T12:36:00Z, the time of AWS's SigV4 test suite.
    fn suite_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    fn header<'a>(request: &'a reqwest::Request, name: &str) -> &'a str {
        request.headers()[name].to_str().unwrap()
    }

    #[test]
    fn signs_the_test_suites_vanilla_get_as_aws_does() {
        let url = Url::parse("https://example.amazonaws.com/").unwrap();
        let mut request = reqwest::Request::new(reqwest::Method::GET, url);
        credentials("")
            .sign(&mut request, "us-east-1", "service", suite_time())
            .unwrap();
        assert_eq!(header(&request, "x-amz-date"), "20150830T123600Z");
        assert_eq!(
            header(&request, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert!(!request.headers().contains_key("x-amz-security-token"));
    }

    #[test]
    fn a_session_token_is_sent_signed_and_marked_sensitive() {
        let url = Url::parse("https://dynamodb.us-east-1.amazonaws.com/").unwrap();
        let mut request = reqwest::Request::new(reqwest::Method::POST, url);
        *request.body_mut() = Some("{}".into());
        credentials("token-of-the-session")
            .sign(&mut request, "us-east-1", "dynamodb", suite_time())
            .unwrap();
        let token = &request.headers()["x-amz-security-token"];
        assert_eq!(token, "token-of-the-session");
        assert!(
            token.is_sensitive(),
            "never printed by a Debug of the headers"
        );
        assert!(
            header(&request, "authorization").contains("x-amz-security-token"),
            "the token is part of the signature"
        );
    }
}
