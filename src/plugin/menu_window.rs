//! The Bevy side of the login menu: one window in `EguiPrimaryContextPass`
//! that calls [`crate::menu::draw`] and sends what it returns.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, EguiTextureHandle, egui};

use super::commands::AuthCommands;
use super::receive::ReceivedReplies;
use super::{AuthState, AuthSystems};
use crate::menu::{self, LoginForm, MenuSettings};

/// The login menu's form, while the menu is enabled.
#[derive(Resource, Debug)]
pub struct LoginMenu {
    /// The form: read its screen, or open another one with `show`.
    pub form: LoginForm,
}

#[derive(Resource)]
struct MenuLogo(Handle<Image>);

/// The tallest the logo is drawn, in points.
const LOGO_HEIGHT: f32 = 96.0;

pub(super) fn build(app: &mut App, settings: MenuSettings, remember: Option<bool>) {
    if !app.is_plugin_added::<EguiPlugin>() {
        app.add_plugins(EguiPlugin::default());
    }
    if let Some(path) = settings.logo.clone() {
        app.add_systems(
            Startup,
            move |assets: Option<Res<AssetServer>>, mut commands: Commands| match assets {
                Some(assets) => commands.insert_resource(MenuLogo(assets.load(path.clone()))),
                None => warn!("the login menu's logo needs an AssetServer"),
            },
        );
    }
    let mut form = LoginForm::new(settings);
    form.offer_remember(remember);
    app.insert_resource(LoginMenu { form })
        .add_systems(
            PreUpdate,
            apply_replies
                .after(super::receive::receive_replies)
                .in_set(AuthSystems::Receive),
        )
        .add_systems(
            EguiPrimaryContextPass,
            draw_menu
                .in_set(AuthSystems::Menu)
                .run_if(in_state(AuthState::SignedOut)),
        );
}

/// Moves the form along with this frame's replies; sends its follow-up
/// (a sign-in after a confirmation, a new code for an unconfirmed account).
fn apply_replies(
    received: Res<ReceivedReplies>,
    mut menu: ResMut<LoginMenu>,
    mut auth: AuthCommands,
) {
    for answered in received
        .0
        .iter()
        .filter(|answered| answered.running.is_some())
    {
        let reply = &answered.reply;
        if let Some(follow_up) = menu.form.finish(reply.action, &reply.result)
            && let Err(error) = auth.send(follow_up)
        {
            menu.form.set_error(error.to_string());
        }
    }
}

fn draw_menu(
    mut contexts: EguiContexts,
    mut menu: ResMut<LoginMenu>,
    mut auth: AuthCommands,
    logo: Option<Res<MenuLogo>>,
    images: Option<Res<Assets<Image>>>,
) -> Result {
    if let (Some(logo), Some(images)) = (logo, images)
        && menu.form.logo().is_none()
        && let Some(image) = images.get(&logo.0)
    {
        let id = contexts.add_image(EguiTextureHandle::Weak(logo.0.id()));
        let size = image.size_f32();
        let scale = (LOGO_HEIGHT / size.y).min(1.0);
        menu.form.set_logo(Some(egui::load::SizedTexture::new(
            id,
            [size.x * scale, size.y * scale],
        )));
    }
    let ctx = contexts.ctx_mut()?;
    let mut request = None;
    egui::Window::new("Sign in")
        .id(egui::Id::new("bevy_cognito_login::menu"))
        .title_bar(false)
        .resizable(false)
        .collapsible(false)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .show(ctx, |ui| {
            ui.set_width(300.0);
            request = menu::draw(ui, &mut menu.form);
        });
    if let Some(request) = request {
        if let Some(remember) = menu.form.remember() {
            auth.set_remember(remember);
        }
        if let Err(error) = auth.send(request) {
            menu.form.set_error(error.to_string());
        }
    }
    Ok(())
}
