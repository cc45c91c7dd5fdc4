//! The whole path of an account menu in a small game.
//!
//! By default it starts the login backend in-process over an embedded Cognito
//! emulator, keeps its accounts in `local-data/users.json`, and shows a "dev
//! mailbox" with the codes the emulator "sent". Sign up, confirm with the
//! code, and play: collect the coins with the arrow keys. The best score is
//! kept in the player's profile on the backend (`GET`/`PUT /profile`,
//! through `GameApi`) and shown at the next sign-in.
//!
//! Run: `cargo run --example game`. `cargo run --example game -- --user-pool`
//! skips the login routes and calls the emulator's user-pool API directly.
//! To use a deployed backend instead, set the template's `GameEnvironment`
//! output: `BEVY_COGNITO_LOGIN_URL`, `BEVY_COGNITO_LOGIN_POOL`,
//! `BEVY_COGNITO_LOGIN_CLIENT`, and `BEVY_COGNITO_LOGIN_SERVER_CLIENT` when
//! the routes sign in through a server client (no dev mailbox then; with
//! `--user-pool`, only the pool and client are needed and sign-in uses SRP).
//! `BEVY_COGNITO_LOGIN_DATA=path.json` keeps the local accounts elsewhere.
//!
//! "Remember me" keeps the session in the OS keychain: the next launch signs
//! the player in again without the menu.
//!
//! "Continue in browser" signs in through the pool's managed login in the
//! system browser (the emulator's login page locally; a deployed pool's
//! domain from `BEVY_COGNITO_LOGIN_DOMAIN`).
//!
//! "Play as guest" plays without an account: the local identity pool (or a
//! deployed one from `BEVY_COGNITO_LOGIN_IDENTITY_POOL`, with the template's
//! `GuestAccess`) gives the guest an identity, kept on this computer, that
//! becomes the account's when the guest signs up or signs in from the top
//! bar. The guest's best score is kept in the template's player data table
//! (the local stand-in, or the deployed one from
//! `BEVY_COGNITO_LOGIN_PLAYER_DATA`), through `AwsCalls` with the guest's
//! credentials, and is still there once the guest has an account.
//!
//! The menu is themed in the game's gold, speaks the system's language
//! (`-- --lang ja` picks another; the top bar switches it while playing),
//! follows a gamepad (D-pad, A, B, Start) and is read by screen readers.

use std::time::Duration;

use bevy::prelude::*;
use bevy_cognito_login::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use cognito_login_backend::local::LOCAL_PLAYER_DATA_TABLE;
use cognito_login_backend::triggers::{ROLE_CLAIM, TriggerConfig};
use cognito_login_backend::{BackgroundStack, CodePurpose, DevMailbox, LocalConfig, LocalStack};

/// Where the game signs in, from the command line and the environment.
fn backend(local: Option<&BackgroundStack>, direct: bool) -> Result<BackendConfig, String> {
    if let Some(local) = local {
        let endpoints = local.endpoints();
        return Ok(if direct {
            endpoints.user_pool_config().into()
        } else {
            endpoints.api_gateway_config().into()
        });
    }
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let (pool, client) = (
        var("BEVY_COGNITO_LOGIN_POOL")?,
        var("BEVY_COGNITO_LOGIN_CLIENT")?,
    );
    Ok(if direct {
        let region = pool.split('_').next().unwrap_or_default().to_owned();
        UserPoolConfig::new(region, pool, client).into()
    } else {
        // The routes sign players in through the stack's server client
        // (`BEVY_COGNITO_LOGIN_SERVER_CLIENT`), the browser through `client`.
        let mut tokens = TokenCheck::for_pool(&pool, client);
        if let Ok(server_client) = std::env::var("BEVY_COGNITO_LOGIN_SERVER_CLIENT") {
            tokens = tokens.with_client(server_client);
        }
        ApiGatewayConfig::new(var("BEVY_COGNITO_LOGIN_URL")?, tokens).into()
    })
}

fn main() -> AppExit {
    // `--user-pool`: call the user pool directly instead of the login routes.
    let direct = std::env::args().any(|arg| arg == "--user-pool");
    // `--lang <locale>`: the menu's language, instead of the system's.
    let mut translations = Translations::shipped();
    if let Some(locale) = std::env::args().skip_while(|arg| arg != "--lang").nth(1) {
        translations.select(&locale);
    }
    let deployed = std::env::var_os("BEVY_COGNITO_LOGIN_URL").is_some()
        || (direct && std::env::var_os("BEVY_COGNITO_LOGIN_POOL").is_some());
    let local = if deployed {
        None
    } else {
        let data_file = std::env::var_os("BEVY_COGNITO_LOGIN_DATA")
            .map(Into::into)
            .unwrap_or_else(|| {
                concat!(env!("CARGO_MANIFEST_DIR"), "/local-data/users.json").into()
            });
        let config = LocalConfig {
            data_file: Some(data_file),
            // The codes' emails in the language the menu signed up in, and
            // the player's role in their ID token.
            triggers: TriggerConfig {
                translated_emails: true,
                game_claims: true,
                ..TriggerConfig::default()
            },
            guest_access: true,
            ..LocalConfig::default()
        };
        match LocalStack::spawn(config) {
            Ok(local) => Some(local),
            Err(error) => {
                eprintln!("the local login backend could not start: {error}");
                return AppExit::error();
            }
        }
    };
    let backend = match backend(local.as_ref(), direct) {
        Ok(backend) => backend,
        Err(error) => {
            eprintln!(
                "{error}: a deployed backend needs BEVY_COGNITO_LOGIN_URL, _POOL and _CLIENT"
            );
            return AppExit::error();
        }
    };
    let mailbox = local.as_ref().and_then(BackgroundStack::mailbox).cloned();
    // The game's own API (the player's best score): the local backend's
    // `/profile`, or the deployed one's.
    let game_api = match &local {
        Some(local) => Some(local.endpoints().url.clone()),
        None => std::env::var("BEVY_COGNITO_LOGIN_URL").ok(),
    }
    .map(GameApiConfig::new);
    // "Continue in browser": the embedded emulator's managed login, or the
    // deployed pool's domain.
    let browser = match &local {
        Some(local) => Some(local.endpoints().managed_login()),
        None => std::env::var("BEVY_COGNITO_LOGIN_DOMAIN")
            .ok()
            .zip(std::env::var("BEVY_COGNITO_LOGIN_CLIENT").ok())
            .map(|(domain, client)| ManagedLogin::new(domain, client)),
    };
    // AWS credentials for the player, and guest play: the local stand-in
    // identity pool, or the deployed one.
    let identity_pool = match &local {
        Some(local) => Some((
            local.endpoints().identity_pool_config(),
            local.endpoints().user_pool_id.clone(),
        )),
        None => std::env::var("BEVY_COGNITO_LOGIN_IDENTITY_POOL")
            .ok()
            .zip(std::env::var("BEVY_COGNITO_LOGIN_POOL").ok())
            .map(|(pool, user_pool)| (IdentityPoolConfig::new(pool), user_pool)),
    };
    // The identity's own row of the player data: the local stand-in, or
    // the deployed table, in the user pool's region.
    let player_data = match &local {
        Some(local) => Some(PlayerData {
            service: local.endpoints().player_data_service(),
            table: LOCAL_PLAYER_DATA_TABLE.into(),
        }),
        None => std::env::var("BEVY_COGNITO_LOGIN_PLAYER_DATA")
            .ok()
            .zip(std::env::var("BEVY_COGNITO_LOGIN_POOL").ok())
            .and_then(|(table, pool)| {
                let region = pool.split('_').next().unwrap_or_default();
                match AwsJsonService::dynamodb(region) {
                    Ok(service) => Some(PlayerData { service, table }),
                    Err(error) => {
                        warn!("no player data: {error}");
                        None
                    }
                }
            }),
    };
    let mut plugin = CognitoLoginPlugin::new(backend)
        .with_menu(MenuSettings {
            title: "Coin Collector".into(),
            game_name: "Coin Collector".into(),
            logo: Some("logo.png".into()),
            translations,
            theme: MenuTheme {
                accent: Some(egui::Color32::from_rgb(232, 168, 48)),
                on_accent: Some(egui::Color32::from_rgb(24, 20, 12)),
                ..default()
            },
            ..default()
        })
        .with_session(SessionSettings {
            service: "Coin Collector".into(),
            // The local backend's port changes every launch; its accounts do not.
            namespace: local.as_ref().map(|_| {
                std::env::var("BEVY_COGNITO_LOGIN_NAMESPACE")
                    .unwrap_or_else(|_| "local backend".into())
            }),
            ..default()
        });
    if let Some((pool, user_pool)) = identity_pool {
        plugin = plugin.with_identity_pool(pool, user_pool).with_guest_play();
    }
    if let Some(game_api) = game_api {
        plugin = plugin.with_game_api(game_api);
    }
    if let Some(browser) = browser {
        plugin = plugin.with_browser_sign_in(browser);
    }

    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "bevy_cognito_login: example game".into(),
            resolution: (960, 640).into(),
            ..default()
        }),
        ..default()
    }))
    .add_plugins(plugin)
    .init_resource::<Game>()
    .init_resource::<Best>()
    .add_systems(Startup, |mut commands: Commands| {
        commands.spawn(Camera2d);
    })
    .add_systems(OnEnter(AuthState::SignedIn), start_game)
    .add_systems(OnEnter(AuthState::Guest), |mut game: ResMut<Game>| {
        *game = Game::default();
    })
    .add_systems(
        Update,
        (keep_best, read_best).run_if(in_state(AuthState::SignedIn)),
    )
    .add_systems(EguiPrimaryContextPass, hud.before(AuthSystems::Menu))
    .add_systems(
        EguiPrimaryContextPass,
        play.run_if(|state: Res<State<AuthState>>| {
            matches!(state.get(), AuthState::SignedIn | AuthState::Guest)
        })
        .after(hud),
    );
    if let Some(player_data) = player_data {
        app.insert_resource(player_data)
            .init_resource::<KeptBest>()
            .add_systems(
                Update,
                (
                    read_kept_best.run_if(resource_exists_and_changed::<PlayerCredentials>),
                    receive_kept_best,
                    keep_guest_best.run_if(in_state(AuthState::Guest)),
                )
                    .chain(),
            );
    }
    if let Some(mailbox) = mailbox {
        app.insert_resource(Mailbox(mailbox)).add_systems(
            EguiPrimaryContextPass,
            dev_mailbox
                .run_if(in_state(AuthState::SignedOut))
                .after(hud),
        );
    }
    let exit = app.run();
    drop(local); // saves the local accounts
    exit
}

/// The codes the local backend "emailed".
#[derive(Resource)]
struct Mailbox(DevMailbox);

/// The tiny game: a player dot and a coin.
#[derive(Resource)]
struct Game {
    player: egui::Vec2,
    coin: egui::Vec2,
    score: u32,
}

impl Default for Game {
    fn default() -> Self {
        Self {
            player: egui::vec2(0.5, 0.5),
            // The first coin is on the player's row: → reaches it.
            coin: egui::vec2(0.8, 0.5),
            score: 0,
        }
    }
}

/// The player's best score, kept in their profile on the game's API.
#[derive(Resource, Default)]
struct Best {
    /// The best score, once the profile was read.
    score: Option<u32>,
    /// The profile's version, for the next write.
    version: u64,
    /// The read or write under way.
    waiting: Option<ApiCallId>,
}

/// The profile's document.
#[derive(serde::Deserialize)]
struct Profile {
    version: u64,
    data: Option<ProfileData>,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct ProfileData {
    best: u32,
}

/// A new game for the player who just signed in, and their best score read.
fn start_game(
    session: Res<AuthSession>,
    mut game: ResMut<Game>,
    mut best: ResMut<Best>,
    mut api: GameApi,
) {
    // The role the pool's pre token generation trigger put in the ID token
    // (the template's `GameClaims`; the local backend's too).
    if let Some(role) = session
        .claims
        .get(ROLE_CLAIM)
        .and_then(|role| role.as_str())
    {
        info!(%role, "the player's role");
    }
    *game = Game::default();
    *best = Best::default();
    match api.get("/profile") {
        Ok(id) => best.waiting = Some(id),
        Err(error) => warn!("the best score cannot be read: {error}"),
    }
}

/// Writes a new best score, one write at a time.
fn keep_best(game: Res<Game>, mut best: ResMut<Best>, mut api: GameApi) {
    let Some(score) = best.score else { return };
    if game.score <= score || best.waiting.is_some() {
        return;
    }
    let write = serde_json::json!({
        "version": best.version,
        "data": ProfileData { best: game.score },
    });
    match api.put("/profile", &write) {
        Ok(id) => {
            best.score = Some(game.score);
            best.waiting = Some(id);
        }
        Err(error) => warn!("the best score cannot be saved: {error}"),
    }
}

/// The profile's answers: the best score read, or a write's new version
/// (a write that met a newer profile reads it again).
fn read_best(mut replies: MessageReader<ApiReplied>, mut best: ResMut<Best>, mut api: GameApi) {
    for reply in replies.read() {
        if best.waiting != Some(reply.id) {
            continue;
        }
        best.waiting = None;
        match reply.json::<Profile>() {
            Ok(Profile { version, data }) => {
                best.version = version;
                let read = best.score.is_none();
                let stored = data.map_or(0, |data| data.best);
                best.score = Some(stored.max(best.score.unwrap_or(0)));
                if read {
                    info!(best = stored, "read the best score");
                }
            }
            Err(error) => {
                warn!("the profile: {}", error.player_message());
                best.waiting = api.get("/profile").ok();
            }
        }
    }
}

/// The player data table, as the identity pool's credentials reach it.
#[derive(Resource)]
struct PlayerData {
    service: AwsJsonService,
    /// The table's name: the template's `PlayerDataTableName` output.
    table: String,
}

/// The best score kept in the identity's own row of the player data: the
/// guest's, and still the player's once the guest has an account.
#[derive(Resource, Default)]
struct KeptBest {
    /// Whose row, and its score once read.
    identity: Option<String>,
    score: Option<u32>,
    /// Read with a signed-in player's credentials (else a guest's): the
    /// guest who signs up reads their row again, as the player.
    player: bool,
    /// The read or write under way.
    waiting: Option<AwsCallId>,
}

/// The identity's row: `identity` and `item` are the table's keys.
fn best_row(identity: &str) -> serde_json::Value {
    serde_json::json!({"identity": {"S": identity}, "item": {"S": "best"}})
}

/// Reads the row of whoever has credentials now (a guest, or a player).
fn read_kept_best(
    credentials: Option<Res<PlayerCredentials>>,
    session: Option<Res<AuthSession>>,
    data: Res<PlayerData>,
    mut kept: ResMut<KeptBest>,
    mut aws: AwsCalls,
) {
    let Some(credentials) = credentials else {
        return;
    };
    let identity = credentials.0.identity_id.clone();
    let player = session.is_some();
    if kept.identity.as_ref() == Some(&identity) && kept.player == player {
        return;
    }
    let key = serde_json::json!({"TableName": data.table, "Key": best_row(&identity)});
    *kept = KeptBest {
        identity: Some(identity),
        score: None,
        player,
        waiting: aws.call(&data.service, "GetItem", key).ok(),
    };
}

/// The row's answers.
fn receive_kept_best(mut replies: MessageReader<AwsReplied>, mut kept: ResMut<KeptBest>) {
    for AwsReplied(reply) in replies.read() {
        if kept.waiting != Some(reply.id) || kept.identity.as_ref() != Some(&reply.identity_id) {
            continue;
        }
        kept.waiting = None;
        match &reply.result {
            Ok(answer) if kept.score.is_none() => {
                let best: u32 = answer["Item"]["score"]["N"]
                    .as_str()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                kept.score = Some(best);
                info!(best, player = kept.player, "read the kept best score");
            }
            Ok(_) => info!(
                best = kept.score.unwrap_or_default(),
                "kept the guest's best score"
            ),
            Err(error) => warn!("the kept best score: {error}"),
        }
    }
}

/// A guest's new best score, into their row.
fn keep_guest_best(
    game: Res<Game>,
    data: Res<PlayerData>,
    mut kept: ResMut<KeptBest>,
    mut aws: AwsCalls,
) {
    let (Some(identity), Some(score)) = (kept.identity.clone(), kept.score) else {
        return;
    };
    if game.score <= score || kept.waiting.is_some() {
        return;
    }
    let mut item = best_row(&identity);
    item["score"] = serde_json::json!({"N": game.score.to_string()});
    let put = serde_json::json!({"TableName": data.table, "Item": item});
    if let Ok(id) = aws.call(&data.service, "PutItem", put) {
        kept.score = Some(game.score);
        kept.waiting = Some(id);
    }
}

/// The top bar: the auth state, who is signed in, the best score, "Sign
/// out" and "Account" (the menu's account screens).
fn hud(
    mut contexts: EguiContexts,
    state: Res<State<AuthState>>,
    session: Option<Res<AuthSession>>,
    best: Res<Best>,
    kept: Option<Res<KeptBest>>,
    mut auth: AuthCommands,
    mut menu: ResMut<LoginMenu>,
) -> Result {
    let kept = kept.and_then(|kept| kept.score).filter(|score| *score > 0);
    egui::Window::new("hud")
        .title_bar(false)
        .resizable(false)
        .anchor(egui::Align2::LEFT_TOP, [8.0, 8.0])
        .show(contexts.ctx_mut()?, |ui| {
            ui.horizontal(|ui| {
                ui.label(format!("Auth: {:?}", state.get()));
                if let Some(session) = &session {
                    ui.separator();
                    ui.label(format!("Signed in as {}", session.username));
                    if let Some(email) = &session.email {
                        ui.weak(email);
                    }
                    if session.offline {
                        // The player keeps playing; the best score waits
                        // for the server.
                        ui.colored_label(egui::Color32::YELLOW, "offline")
                            .on_hover_text(
                                "The login server cannot be reached; you stay signed in.",
                            );
                    }
                    if let Some(score) = best.score {
                        ui.separator();
                        ui.label(format!("Best: {score}"));
                    }
                    if let Some(score) = kept {
                        ui.label(format!("(as a guest: {score})"));
                    }
                    if ui.button("Sign out").clicked()
                        && let Err(error) = auth.sign_out()
                    {
                        warn!("{error}");
                    }
                    if ui.button("Account").clicked() {
                        menu.open_account();
                    }
                }
                if *state.get() == AuthState::Guest {
                    ui.separator();
                    ui.label("Playing as a guest");
                    if let Some(score) = kept {
                        ui.label(format!("Best: {score}"));
                    }
                    if ui.button("Create account or sign in").clicked() {
                        menu.open_sign_in();
                    }
                    if ui.button("Leave").clicked()
                        && let Err(error) = auth.end_guest_play()
                    {
                        warn!("{error}");
                    }
                }
                ui.separator();
                language_picker(ui, &mut menu);
            });
        });
    Ok(())
}

/// The menu's language, switched at run time.
fn language_picker(ui: &mut egui::Ui, menu: &mut LoginMenu) {
    let texts = menu.form.texts().clone();
    let mut chosen = None;
    egui::ComboBox::from_label("Language")
        .selected_text(texts.get("language.name"))
        .show_ui(ui, |ui| {
            for locale in texts.locales() {
                let name = texts.get_in(locale, "language.name").unwrap_or(locale);
                if ui
                    .selectable_label(locale == texts.locale(), name)
                    .clicked()
                {
                    chosen = Some(locale.to_owned());
                }
            }
        });
    if let Some(locale) = chosen {
        menu.form.select_locale(&locale);
    }
}

/// The dev mailbox: every code the local emulator sent, with a button that
/// types it into the menu.
fn dev_mailbox(
    mut contexts: EguiContexts,
    mailbox: Res<Mailbox>,
    mut menu: ResMut<LoginMenu>,
) -> Result {
    egui::Window::new("Dev mailbox")
        .anchor(egui::Align2::RIGHT_TOP, [-12.0, 40.0])
        .resizable(false)
        .show(contexts.ctx_mut()?, |ui| {
            let messages = mailbox.0.messages();
            if messages.is_empty() {
                ui.weak("Codes the local backend sends appear here.");
            }
            for mail in messages.iter().rev().take(6) {
                ui.horizontal(|ui| {
                    let what = match mail.purpose {
                        CodePurpose::ConfirmSignUp => "confirm",
                        CodePurpose::ResetPassword => "reset",
                        CodePurpose::VerifyEmail => "email",
                    };
                    let label = ui.label(format!("{} ({what}):", mail.username));
                    if let Some(email) = &mail.email {
                        // The email as the player would read it.
                        label.on_hover_text(format!("{}\n\n{}", email.subject, email.body));
                    }
                    ui.monospace(&mail.code);
                    if ui.small_button("Use").clicked() {
                        menu.form.fill_code(&mail.username, &mail.code);
                    }
                });
            }
        });
    Ok(())
}

/// Move with the arrow keys or WASD; touch the coin to score.
fn play(mut contexts: EguiContexts, mut game: ResMut<Game>, time: Res<Time>) -> Result {
    let ctx = contexts.ctx_mut()?;
    {
        let rect = ctx.viewport_rect();
        let speed = 0.5 * time.delta_secs();
        let step = ctx.input(|input| {
            let axis = |plus: [egui::Key; 2], minus: [egui::Key; 2]| {
                let down = |keys: [egui::Key; 2]| keys.iter().any(|key| input.key_down(*key));
                f32::from(u8::from(down(plus))) - f32::from(u8::from(down(minus)))
            };
            egui::vec2(
                axis(
                    [egui::Key::ArrowRight, egui::Key::D],
                    [egui::Key::ArrowLeft, egui::Key::A],
                ),
                axis(
                    [egui::Key::ArrowDown, egui::Key::S],
                    [egui::Key::ArrowUp, egui::Key::W],
                ),
            )
        });
        game.player = (game.player + step * speed).clamp(egui::Vec2::ZERO, egui::Vec2::splat(1.0));
        if (game.player - game.coin).length() < 0.05 {
            game.score += 1;
            let t = time.elapsed_secs() * 7.31;
            game.coin = egui::vec2(0.1 + 0.8 * t.sin().abs(), 0.1 + 0.8 * (t * 1.7).cos().abs());
        }
        let at = |p: egui::Vec2| rect.min + p * rect.size();
        let painter = ctx.layer_painter(egui::LayerId::background());
        painter.rect_filled(rect, 0.0, egui::Color32::from_rgb(24, 32, 48));
        painter.circle_filled(at(game.coin), 10.0, egui::Color32::GOLD);
        painter.circle_filled(at(game.player), 14.0, egui::Color32::from_rgb(90, 200, 250));
        painter.text(
            rect.left_bottom() + egui::vec2(12.0, -30.0),
            egui::Align2::LEFT_TOP,
            format!("Coins: {}   (arrow keys or WASD)", game.score),
            egui::FontId::proportional(18.0),
            egui::Color32::WHITE,
        );
    }
    ctx.request_repaint_after(Duration::from_millis(16));
    Ok(())
}
