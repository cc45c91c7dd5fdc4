//! The plugin's handle on the client: its session, which owns the
//! background worker, the keychain's thread and browser sign-in.

use bevy::prelude::*;
use cognito_login_client::Session;

/// The client's session, owned by the app.
#[derive(Resource, Debug)]
pub(crate) struct AuthClient {
    pub(crate) session: Session,
}
