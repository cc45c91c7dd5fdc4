//! The signed-in player's account through `AuthCommands`: password,
//! email, sign-in codes, remembered devices, deletion, and the password
//! typed again before the changes that need it.

use super::*;

impl AuthCommands<'_, '_> {
    /// Changes the signed-in player's password; [`PasswordChanged`] follows.
    /// The session goes on.
    ///
    /// [`PasswordChanged`]: crate::PasswordChanged
    pub fn change_password(
        &mut self,
        current: impl Into<Password>,
        new_password: impl Into<Password>,
    ) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::ChangePassword {
            access_token,
            previous: current.into(),
            proposed: new_password.into(),
        })
    }

    /// Reads the signed-in account from the server: its attributes with
    /// their verification state and its MFA settings, into
    /// [`AuthSession::account`] and an [`AccountRead`](crate::AccountRead).
    pub fn read_account(&mut self) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::GetAccount { access_token })
    }

    /// Deletes the signed-in account for good (DeleteUser). Once the server
    /// answers, the session and everything stored for it are forgotten and
    /// [`SignedOut`] says [`SignOutReason::AccountDeleted`]; a failure leaves
    /// the account and the session as they were. Ask the player to confirm
    /// first.
    pub fn delete_account(&mut self) -> Result<RequestId, AuthCommandError> {
        self.session()?.delete_account()
    }

    /// Changes the signed-in player's email address: a code goes to the new
    /// one ([`CodeSent`](crate::CodeSent)); verify it with
    /// [`verify_email`](Self::verify_email). Where the pool keeps the old
    /// address until then (the deployment template does), the old one stays
    /// in use meanwhile.
    pub fn change_email(
        &mut self,
        email: impl Into<String>,
    ) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::ChangeEmail {
            access_token,
            email: email.into(),
        })
    }

    /// Sends the email verification code again.
    pub fn resend_email_code(&mut self) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::ResendEmailCode { access_token })
    }

    /// Verifies the email address with its code;
    /// [`EmailVerified`](crate::EmailVerified) follows, and the session is
    /// refreshed so its claims carry the verified address.
    pub fn verify_email(&mut self, code: impl Into<Code>) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::VerifyEmail {
            access_token,
            code: code.into(),
        })
    }

    /// Starts adding an authenticator app: Cognito makes its shared secret,
    /// which arrives as an
    /// [`AuthenticatorSecretIssued`](crate::AuthenticatorSecretIssued).
    pub fn add_authenticator(&mut self) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::AddAuthenticator { access_token })
    }

    /// Finishes adding the authenticator app with the first code it shows;
    /// [`MfaChanged`](crate::MfaChanged) follows. Turn it on for sign-in
    /// with [`set_mfa`](Self::set_mfa).
    pub fn verify_authenticator(
        &mut self,
        code: impl Into<Code>,
        device_name: impl Into<String>,
    ) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::VerifyAuthenticator {
            access_token,
            code: code.into(),
            device_name: device_name.into(),
        })
    }

    /// Turns an MFA method on (as the preferred one) or off;
    /// [`MfaChanged`](crate::MfaChanged) follows, and
    /// [`read_account`](Self::read_account) shows the new setting.
    pub fn set_mfa(
        &mut self,
        method: MfaMethod,
        enabled: bool,
    ) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::SetMfa {
            access_token,
            method,
            enabled,
        })
    }

    /// Remembers this computer for the signed-in account, under a `name`
    /// the player will recognise in the list of devices: the sign-in's
    /// [`AuthSession::new_device`] is confirmed with the verifier of a fresh
    /// device password, and once the server answers, the device is kept in
    /// the keychain (apart from the session: a sign-out keeps it) and
    /// [`DeviceRemembered`](crate::DeviceRemembered) follows. Later sign-ins
    /// with the account's username or email prove the device instead of
    /// asking for the MFA code. Offer it on a computer of the player's own,
    /// never on a shared one.
    pub fn remember_device(
        &mut self,
        name: impl Into<String>,
    ) -> Result<RequestId, AuthCommandError> {
        self.session()?.remember_device(name)
    }

    /// Checks the signed-in player's password with a fresh sign-in to the
    /// same account, as proof before the account changes that need one
    /// ([`AuthCommandError::ProofNeeded`]). A sign-in that answers with
    /// the account's tokens, or asks for its sign-in code (the password
    /// was right), is proof: [`PasswordConfirmed`](crate::PasswordConfirmed)
    /// follows and [`AuthSession::recently_proven`] holds for
    /// [`AuthSession::PROOF_LASTS`]. The session goes on unchanged; the
    /// extra one the check made is revoked. A wrong password, or tokens of
    /// another account, fail as [`AuthFailed`](crate::AuthFailed).
    pub fn confirm_password(
        &mut self,
        password: impl Into<Password>,
    ) -> Result<RequestId, AuthCommandError> {
        self.session()?.confirm_password(password)
    }

    /// Reads the account's remembered devices; [`DevicesListed`](crate::DevicesListed)
    /// follows.
    pub fn list_devices(&mut self) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::ListDevices { access_token })
    }

    /// Forgets a remembered device (a key from
    /// [`DevicesListed`](crate::DevicesListed)): sign-ins from it ask for
    /// the MFA code again. [`DeviceForgotten`](crate::DeviceForgotten)
    /// follows.
    pub fn forget_device(
        &mut self,
        device_key: impl Into<String>,
    ) -> Result<RequestId, AuthCommandError> {
        self.session()?.forget_device(device_key)
    }

    /// The device this computer remembers for the signed-in account, if
    /// any: its key, to mark it in a list of devices.
    pub fn this_device(&self) -> Option<&str> {
        self.client.as_ref()?.session.this_device()
    }
}
