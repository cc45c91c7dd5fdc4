//! The login menu as plain egui: a [`LoginForm`] holding the state,
//! [`draw`] showing its sign-in screens and [`draw_account`] its account
//! screens. Nothing here knows Bevy; the plugin only opens a window, calls
//! them and sends what they return.

mod account;
mod draw;
mod form;
mod nav;
mod policy;
mod theme;
mod widgets;

pub use account::{AccountView, draw_account};
pub use draw::draw;
pub use form::{
    AccountRequest, GuestButton, LoginForm, MenuAction, MenuSettings, Screen, SignInName,
};
pub use nav::{MenuInput, Navigated};
pub use policy::{PasswordPolicy, PolicyCheck};
pub use theme::{
    MenuFont, MenuTheme, PanelLayout, clipped_text, install_fonts, menu_style, panel, panel_layout,
};
