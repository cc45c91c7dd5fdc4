//! The plugin's handle on the client: the background worker, and browser
//! sign-in where it is configured.

use std::sync::Arc;

use bevy::prelude::*;
use cognito_login_client::{AuthWorker, BrowserSignIn, ConfigError};

use super::AuthSession;

/// The background worker, owned by the app.
#[derive(Resource, Debug)]
pub(crate) struct AuthClient {
    pub(crate) worker: AuthWorker,
    /// Browser sign-in, when configured: or why it cannot run.
    pub(crate) browser: Option<Result<Arc<BrowserSignIn>, ConfigError>>,
}

impl AuthClient {
    /// Ends the managed login's session in the browser after a browser
    /// session ended here.
    pub(crate) fn end_browser_session(&self, session: &AuthSession) {
        if session.from_browser
            && let Some(Ok(browser)) = &self.browser
        {
            self.worker.end_browser_session(browser);
        }
    }
}
