//! The Secret Service (GNOME Keyring, KWallet, KeePassXC) as a `keyring-core`
//! store, over libdbus.
//!
//! Secrets cross the bus encrypted (`dh-ietf1024-sha256-aes128-cbc-pkcs7`):
//! a Diffie-Hellman exchange in the 1024-bit IETF group with a private value
//! from the OS's random source, HKDF-SHA256 to an AES-128 key, AES-CBC with
//! PKCS#7 padding and a fresh IV per secret. A service that offers only the
//! plain transfer is refused, so a bus monitor never sees a token.
//!
//! Items are the ones `dbus-secret-service-keyring-store` writes (attributes
//! `service` and `username`, label `keyring:{user}@{service}`, the default
//! collection), so a session saved by an earlier version is still found.
//! The exchange is computed with the `num-bigint` the SRP sign-in uses: no
//! second big-number crate, and no shared crate's features changed under a
//! game's Bevy.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use dbus::arg::{RefArg, Variant};
use dbus::blocking::Connection;
use dbus::message::MatchRule;
use dbus::strings::Path;
use keyring_core::api::{Credential, CredentialApi, CredentialStoreApi};
use keyring_core::{Entry, Error, Result};
use num_bigint::BigUint;

const DESTINATION: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const SERVICE: &str = "org.freedesktop.Secret.Service";
const COLLECTION: &str = "org.freedesktop.Secret.Collection";
const ITEM: &str = "org.freedesktop.Secret.Item";
const PROMPT: &str = "org.freedesktop.Secret.Prompt";
const ALGORITHM: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";
const CONTENT_TYPE: &str = "application/octet-stream";
/// How long one call may take; the service answers in milliseconds.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an unlock prompt waits for the player.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(120);

/// The Second Oakley Group (RFC 2409, section 6.2), generator 2.
const PRIME: [u8; 128] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34,
    0xC4, 0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74,
    0x02, 0x0B, 0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD,
    0xEF, 0x95, 0x19, 0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37,
    0x4F, 0xE1, 0x35, 0x6D, 0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6,
    0xF4, 0x4C, 0x42, 0xE9, 0xA6, 0x37, 0xED, 0x6B, 0x0B, 0xFF, 0x5C, 0xB6, 0xF4, 0x06, 0xB7, 0xED,
    0xEE, 0x38, 0x6B, 0xFB, 0x5A, 0x89, 0x9F, 0xA5, 0xAE, 0x9F, 0x24, 0x11, 0x7C, 0x4B, 0x1F, 0xE6,
    0x49, 0x28, 0x66, 0x51, 0xEC, 0xE6, 0x53, 0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];

/// A secret as the service passes it: session, IV, ciphertext, content type.
type WireSecret = (Path<'static>, Vec<u8>, Vec<u8>, String);

/// The Secret Service store: one connection and one encrypted session,
/// shared by its entries.
pub(crate) struct SecretServiceStore {
    bus: Arc<Mutex<Bus>>,
}

impl SecretServiceStore {
    /// Connects to the session bus and opens an encrypted session; fails
    /// when no Secret Service answers.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let bus = Bus::open().map_err(no_access)?;
        Ok(Arc::new(Self {
            bus: Arc::new(Mutex::new(bus)),
        }))
    }
}

impl std::fmt::Debug for SecretServiceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretServiceStore").finish_non_exhaustive()
    }
}

impl CredentialStoreApi for SecretServiceStore {
    fn vendor(&self) -> String {
        "Secret Service store, cognito_login_client".into()
    }

    fn id(&self) -> String {
        env!("CARGO_PKG_VERSION").into()
    }

    fn build(
        &self,
        service: &str,
        user: &str,
        modifiers: Option<&HashMap<&str, &str>>,
    ) -> Result<Entry> {
        if modifiers.is_some_and(|modifiers| !modifiers.is_empty()) {
            return Err(Error::NotSupportedByStore(
                "modifiers (entries live in the default collection)".into(),
            ));
        }
        Ok(Entry::new_with_credential(Arc::new(SecretEntry {
            bus: self.bus.clone(),
            service: service.into(),
            user: user.into(),
            item: None,
        })))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One entry: every item with its `service` and `username`, or (`item`) one
/// of them, as handed out in [`Error::Ambiguous`].
struct SecretEntry {
    bus: Arc<Mutex<Bus>>,
    service: String,
    user: String,
    item: Option<Path<'static>>,
}

impl std::fmt::Debug for SecretEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretEntry")
            .field("service", &self.service)
            .field("user", &self.user)
            .field("item", &self.item)
            .finish()
    }
}

impl SecretEntry {
    fn attributes(&self) -> HashMap<&str, &str> {
        HashMap::from([("service", &*self.service), ("username", &*self.user)])
    }

    fn bus(&self) -> std::sync::MutexGuard<'_, Bus> {
        // A panic while holding the lock leaves the connection usable.
        self.bus
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The matching items, unlocked.
    fn items(&self, bus: &Bus) -> Result<Vec<Path<'static>>> {
        match &self.item {
            Some(item) => Ok(vec![item.clone()]),
            None => bus.search(&self.attributes()),
        }
    }

    /// The one matching item.
    fn item(&self, bus: &Bus) -> Result<Path<'static>> {
        let mut items = self.items(bus)?;
        match items.len() {
            0 => Err(Error::NoEntry),
            1 => Ok(items.remove(0)),
            _ => Err(Error::Ambiguous(
                items
                    .into_iter()
                    .map(|item| {
                        Entry::new_with_credential(Arc::new(SecretEntry {
                            bus: self.bus.clone(),
                            service: self.service.clone(),
                            user: self.user.clone(),
                            item: Some(item),
                        }))
                    })
                    .collect(),
            )),
        }
    }
}

impl CredentialApi for SecretEntry {
    fn set_secret(&self, secret: &[u8]) -> Result<()> {
        let bus = self.bus();
        match &self.item {
            Some(item) => bus.set_secret(item, secret),
            // Replaces the item with the same attributes, if there is one.
            None => bus.create_item(
                &format!("keyring:{}@{}", self.user, self.service),
                &self.attributes(),
                secret,
            ),
        }
    }

    fn get_secret(&self) -> Result<Vec<u8>> {
        let bus = self.bus();
        let item = self.item(&bus)?;
        bus.secret(&item)
    }

    /// Deletes every matching item: two instances of a game that raced to
    /// create the same entry leave nothing behind after a sign-out.
    fn delete_credential(&self) -> Result<()> {
        let bus = self.bus();
        let items = self.items(&bus)?;
        if items.is_empty() {
            return Err(Error::NoEntry);
        }
        items.iter().try_for_each(|item| bus.delete(item))
    }

    fn get_credential(&self) -> Result<Option<Arc<Credential>>> {
        let bus = self.bus();
        let item = self.item(&bus)?;
        Ok(Some(Arc::new(SecretEntry {
            bus: self.bus.clone(),
            service: self.service.clone(),
            user: self.user.clone(),
            item: Some(item),
        })))
    }

    fn get_specifiers(&self) -> Option<(String, String)> {
        Some((self.service.clone(), self.user.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The connection and the encrypted session on it.
struct Bus {
    connection: Connection,
    session: Path<'static>,
    key: [u8; 16],
}

impl Bus {
    fn open() -> std::result::Result<Self, String> {
        let connection = Connection::new_session().map_err(|error| describe(&error))?;
        let private = BigUint::from_bytes_be(&random::<32>());
        let prime = BigUint::from_bytes_be(&PRIME);
        let public = BigUint::from(2u8).modpow(&private, &prime);
        let (Variant(server), session): (Variant<Vec<u8>>, Path<'static>) = connection
            .with_proxy(DESTINATION, SERVICE_PATH, CALL_TIMEOUT)
            .method_call(
                SERVICE,
                "OpenSession",
                (ALGORITHM, Variant(public.to_bytes_be())),
            )
            .map_err(|error| describe(&error))?;
        let key = shared_key(&private, &server).ok_or("the service's public key is invalid")?;
        Ok(Self {
            connection,
            session,
            key,
        })
    }

    fn call<A: dbus::arg::AppendAll, R: dbus::arg::ReadAll + 'static>(
        &self,
        path: &Path<'_>,
        interface: &str,
        method: &str,
        args: A,
    ) -> Result<R> {
        self.connection
            .with_proxy(DESTINATION, path.clone(), CALL_TIMEOUT)
            .method_call(interface, method, args)
            .map_err(|error| {
                let message = describe(&error);
                match error.name() {
                    Some(
                        "org.freedesktop.Secret.Error.IsLocked"
                        | "org.freedesktop.DBus.Error.ServiceUnknown"
                        | "org.freedesktop.DBus.Error.NoReply"
                        | "org.freedesktop.DBus.Error.Disconnected",
                    ) => no_access(message),
                    Some("org.freedesktop.Secret.Error.NoSuchObject") => Error::NoEntry,
                    _ => Error::PlatformFailure(message.into()),
                }
            })
    }

    /// Items with exactly these attributes; locked ones are unlocked first.
    fn search(&self, attributes: &HashMap<&str, &str>) -> Result<Vec<Path<'static>>> {
        let (mut unlocked, locked): (Vec<Path<'static>>, Vec<Path<'static>>) =
            self.call(&service(), SERVICE, "SearchItems", (attributes,))?;
        if !locked.is_empty() {
            self.unlock(&locked)?;
            unlocked.extend(locked);
        }
        Ok(unlocked)
    }

    fn unlock(&self, objects: &[Path<'static>]) -> Result<()> {
        let (_, prompt): (Vec<Path<'static>>, Path<'static>) =
            self.call(&service(), SERVICE, "Unlock", (objects,))?;
        self.prompt(prompt).map(drop)
    }

    /// The default collection, unlocked; made when there is none.
    fn default_collection(&self) -> Result<Path<'static>> {
        let (collection,): (Path<'static>,) =
            self.call(&service(), SERVICE, "ReadAlias", ("default",))?;
        if &*collection != "/" {
            self.unlock(std::slice::from_ref(&collection))?;
            return Ok(collection);
        }
        let label: Box<dyn RefArg> = Box::new(String::from("Login"));
        let properties = HashMap::from([(format!("{COLLECTION}.Label"), Variant(label))]);
        let (collection, prompt): (Path<'static>, Path<'static>) = self.call(
            &service(),
            SERVICE,
            "CreateCollection",
            (properties, "default"),
        )?;
        match self.prompt(prompt)? {
            Some(created) => Path::new(created).map_err(|error| no_access(error.to_string())),
            None => Ok(collection),
        }
    }

    fn create_item(
        &self,
        label: &str,
        attributes: &HashMap<&str, &str>,
        secret: &[u8],
    ) -> Result<()> {
        let collection = self.default_collection()?;
        let attributes: HashMap<String, String> = attributes
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let properties: HashMap<String, Variant<Box<dyn RefArg>>> = HashMap::from([
            (
                format!("{ITEM}.Label"),
                Variant(Box::new(label.to_string()) as Box<dyn RefArg>),
            ),
            (
                format!("{ITEM}.Attributes"),
                Variant(Box::new(attributes) as Box<dyn RefArg>),
            ),
        ]);
        let (_, prompt): (Path<'static>, Path<'static>) = self.call(
            &collection,
            COLLECTION,
            "CreateItem",
            (properties, self.encrypt(secret), true),
        )?;
        self.prompt(prompt).map(drop)
    }

    fn set_secret(&self, item: &Path<'static>, secret: &[u8]) -> Result<()> {
        self.call(item, ITEM, "SetSecret", (self.encrypt(secret),))
    }

    fn secret(&self, item: &Path<'static>) -> Result<Vec<u8>> {
        let ((_, iv, value, _),): (WireSecret,) =
            self.call(item, ITEM, "GetSecret", (&self.session,))?;
        decrypt(&self.key, &iv, &value).ok_or_else(|| {
            Error::PlatformFailure("the service sent a secret that does not decrypt".into())
        })
    }

    fn delete(&self, item: &Path<'static>) -> Result<()> {
        let (prompt,): (Path<'static>,) = self.call(item, ITEM, "Delete", ())?;
        self.prompt(prompt).map(drop)
    }

    fn encrypt(&self, secret: &[u8]) -> WireSecret {
        use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
        let iv = random::<16>();
        let value = cbc::Encryptor::<aes::Aes128>::new(&self.key.into(), &iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(secret);
        (
            self.session.clone(),
            iv.to_vec(),
            value,
            CONTENT_TYPE.into(),
        )
    }

    /// Runs the prompt at `path` ("/" is none) and waits for the player:
    /// `Some(path)` of what it made, `None` when it made nothing.
    fn prompt(&self, path: Path<'static>) -> Result<Option<String>> {
        if &*path == "/" {
            return Ok(None);
        }
        let (sender, completed) = mpsc::channel();
        let rule = MatchRule::new_signal(PROMPT, "Completed").with_path(path.clone());
        let token = self
            .connection
            .add_match(
                rule,
                move |(dismissed, result): (bool, Variant<Box<dyn RefArg>>), _, _| {
                    let made = result.0.as_str().map(str::to_owned);
                    let _ = sender.send((dismissed, made));
                    false
                },
            )
            .map_err(|error| no_access(describe(&error)))?;
        let outcome = self
            .call::<_, ()>(&path, PROMPT, "Prompt", ("",))
            .and_then(|()| {
                let deadline = Instant::now() + PROMPT_TIMEOUT;
                loop {
                    if let Ok((dismissed, made)) = completed.try_recv() {
                        break match dismissed {
                            true => Err(no_access(
                                "the player dismissed the keychain's prompt".into(),
                            )),
                            false => Ok(made.filter(|made| made != "/")),
                        };
                    }
                    if Instant::now() >= deadline {
                        break Err(no_access("the keychain's prompt was not answered".into()));
                    }
                    self.connection
                        .process(Duration::from_millis(200))
                        .map_err(|error| no_access(describe(&error)))?;
                }
            });
        let _ = self.connection.remove_match(token);
        outcome
    }
}

fn service() -> Path<'static> {
    Path::from_slice(SERVICE_PATH).expect("a valid object path")
}

fn no_access(message: String) -> Error {
    Error::NoStorageAccess(message.into())
}

fn describe(error: &dbus::Error) -> String {
    format!(
        "{}: {}",
        error.name().unwrap_or("D-Bus"),
        error.message().unwrap_or("no message")
    )
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    getrandom::getrandom(&mut bytes).expect("the OS's random source answers");
    bytes
}

/// The AES key both sides derive: HKDF-SHA256 (no salt, no info) over the
/// shared secret, left-padded to the group's 128 bytes. `None` for a public
/// key outside `2..p-1`, which would make the secret guessable.
fn shared_key(private: &BigUint, server: &[u8]) -> Option<[u8; 16]> {
    let prime = BigUint::from_bytes_be(&PRIME);
    let server = BigUint::from_bytes_be(server);
    if server < BigUint::from(2u8) || server >= &prime - 1u8 {
        return None;
    }
    let shared = server.modpow(private, &prime).to_bytes_be();
    let mut padded = [0u8; 128];
    padded[128 - shared.len()..].copy_from_slice(&shared);
    let mut key = [0; 16];
    hkdf::Hkdf::<sha2::Sha256>::new(None, &padded)
        .expand(&[], &mut key)
        .ok()?;
    Some(key)
}

fn decrypt(key: &[u8; 16], iv: &[u8], value: &[u8]) -> Option<Vec<u8>> {
    use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    let iv: [u8; 16] = iv.try_into().ok()?;
    cbc::Decryptor::<aes::Aes128>::new(key.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(value)
        .ok()
}

#[cfg(test)]
mod tests;
