//! The login menu as plain egui: a [`LoginForm`] holding the state and
//! [`draw`] showing it. Nothing here knows Bevy; the plugin only opens a
//! window, calls [`draw`] and sends the request it returns.

mod draw;
mod form;
mod policy;

pub use draw::{AccountView, draw, draw_account};
pub use form::{AccountRequest, LoginForm, MenuSettings, Screen};
pub use policy::{PasswordPolicy, PolicyCheck};
