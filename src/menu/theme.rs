//! How the menu looks: a [`MenuTheme`], applied to the menu's own panel
//! only, so the game's other egui windows keep their style.

use std::sync::Arc;

use egui::{
    Color32, Context, CornerRadius, FontData, FontFamily, FontId, Id, LayerId, Margin, Order, Rect,
    Shape, Stroke, Style, TextStyle, Theme, Ui, Vec2,
    epaint::ClippedShape,
    epaint::text::{FontInsert, FontPriority, InsertFontFamily},
};

/// The font family of the menu's text when the theme has a font.
const MENU_FAMILY: &str = "bevy_cognito_login";
/// Noto Sans CJK JP cut down to the shipped Japanese sentences and kana
/// (`scripts/subset-cjk-font.sh`; SIL Open Font License, `fonts/OFL.txt`).
const CJK_FONT: &[u8] = include_bytes!("../../fonts/NotoSansJP-menu.otf");
const CJK_FONT_NAME: &str = "bevy_cognito_login::NotoSansJP";

/// How the login menu looks.
///
/// Each field the theme sets overrides the game's egui style inside the
/// menu's panel; a `None` keeps what the game set. [`Default`] sets them
/// all: a centred panel with large text, a full-width accent button and a
/// dimmed game behind it, light or dark as egui is.
/// [`game_style`](Self::game_style) sets none of them, so a studio's own
/// style shows and a theme names only what it changes:
///
/// ```
/// use bevy_cognito_login::menu::MenuTheme;
/// use egui::Color32;
///
/// let theme = MenuTheme {
///     accent: Some(Color32::from_rgb(232, 168, 48)),
///     ..MenuTheme::game_style()
/// };
/// # assert_eq!(theme.text_size, None);
/// ```
///
/// The sizes are in points at [`reference_height`](Self::reference_height):
/// the menu grows with the window from there (readable from a sofa at 4K)
/// and shrinks a little below it.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuTheme {
    /// Light (`Some(false)`) or dark (`Some(true)`); `None` follows egui's
    /// own setting.
    pub dark: Option<bool>,
    /// The main button's fill, links, the focus ring and selections;
    /// `None` keeps the game's selection colours and a plain main button.
    pub accent: Option<Color32>,
    /// The main button's text on the accent; `None` is egui's strong text.
    pub on_accent: Option<Color32>,
    /// The panel's fill; `None` is the game's window fill.
    pub panel_fill: Option<Color32>,
    /// Painted over the game behind the menu; `None` leaves it as it is.
    pub backdrop: Option<Color32>,
    /// The panel's corner radius, widgets getting half of it; `None` keeps
    /// the game's.
    pub corner_radius: Option<u8>,
    /// The space between rows; `None` keeps the game's item spacing.
    pub spacing: Option<f32>,
    /// The panel's inner margin; `None` keeps the game's window margin.
    pub padding: Option<f32>,
    /// The panel's width.
    pub panel_width: f32,
    /// The text's size, which also sizes buttons, fields and icons; `None`
    /// keeps the game's text styles and widget sizes.
    pub text_size: Option<f32>,
    /// The heading's size; `None` keeps the game's.
    pub heading_size: Option<f32>,
    /// A font of the game's own for all of the menu's text; glyphs it
    /// lacks come from the shipped Japanese font.
    pub font: Option<MenuFont>,
    /// The window height, in points, at which the sizes above (and the
    /// panel's width) apply; `None` keeps them fixed.
    pub reference_height: Option<f32>,
    /// The range the window's height may scale the menu by.
    pub scale_range: (f32, f32),
}

/// A font file (TrueType or OpenType) for the menu.
#[derive(Clone, PartialEq)]
pub struct MenuFont {
    /// A name for it, unique among the context's fonts.
    pub name: String,
    /// The file's bytes.
    pub data: Arc<[u8]>,
}

impl std::fmt::Debug for MenuFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MenuFont({}, {} bytes)", self.name, self.data.len())
    }
}

impl Default for MenuTheme {
    fn default() -> Self {
        Self {
            dark: None,
            accent: Some(Color32::from_rgb(64, 118, 236)),
            on_accent: Some(Color32::WHITE),
            panel_fill: None,
            backdrop: Some(Color32::from_black_alpha(140)),
            corner_radius: Some(12),
            spacing: Some(8.0),
            padding: Some(22.0),
            panel_width: 340.0,
            text_size: Some(15.0),
            heading_size: Some(24.0),
            font: None,
            reference_height: Some(720.0),
            scale_range: (0.75, 3.0),
        }
    }
}

impl MenuTheme {
    /// The game's own egui style, unscaled, on no backdrop: the menu as a
    /// window of the game's, changing nothing the game set. Name only what
    /// should differ (struct update syntax).
    pub fn game_style() -> Self {
        Self {
            dark: None,
            accent: None,
            on_accent: None,
            panel_fill: None,
            backdrop: None,
            corner_radius: None,
            spacing: None,
            padding: None,
            panel_width: 300.0,
            text_size: None,
            heading_size: None,
            font: None,
            reference_height: None,
            scale_range: (1.0, 1.0),
        }
    }

    /// How much the window's `height` (in points) scales the sizes.
    pub fn scale(&self, height: f32) -> f32 {
        match self.reference_height {
            Some(reference) if reference > 0.0 && height > 0.0 => {
                let (low, high) = self.scale_range;
                (height / reference).clamp(low, high.max(low))
            }
            _ => 1.0,
        }
    }
}

/// Adds the menu's fonts to `ctx`: the Japanese glyphs behind egui's own
/// fonts, and the theme's font. Cheap once they are there; again after the
/// game replaced the context's fonts.
pub fn install_fonts(ctx: &Context, theme: &MenuTheme) {
    let installed =
        |name: &str| ctx.fonts(|fonts| fonts.definitions().font_data.contains_key(name));
    if !installed(CJK_FONT_NAME) {
        let mut families = vec![
            fallback(FontFamily::Proportional),
            fallback(FontFamily::Monospace),
        ];
        if theme.font.is_some() {
            families.push(fallback(FontFamily::Name(MENU_FAMILY.into())));
        }
        ctx.add_font(FontInsert::new(
            CJK_FONT_NAME,
            FontData::from_static(CJK_FONT),
            families,
        ));
    }
    if let Some(font) = theme.font.as_ref().filter(|font| !installed(&font.name)) {
        ctx.add_font(FontInsert::new(
            &font.name,
            FontData::from_owned(font.data.to_vec()),
            vec![InsertFontFamily {
                family: FontFamily::Name(MENU_FAMILY.into()),
                priority: FontPriority::Highest,
            }],
        ));
    }
}

fn fallback(family: FontFamily) -> InsertFontFamily {
    InsertFontFamily {
        family,
        priority: FontPriority::Lowest,
    }
}

/// The style the menu draws with: the context's (its light or dark one
/// when the theme chooses) with what the theme sets (colours, sizes, font)
/// in place of the game's, scaled by `scale`.
pub fn menu_style(ctx: &Context, theme: &MenuTheme, scale: f32) -> Style {
    let mut style = match theme.dark {
        None => (*ctx.global_style()).clone(),
        Some(true) => (*ctx.style_of(Theme::Dark)).clone(),
        Some(false) => (*ctx.style_of(Theme::Light)).clone(),
    };
    style.wrap_mode = Some(egui::TextWrapMode::Wrap);
    if let Some(size) = theme.text_size.map(|size| size * scale) {
        for (text_style, factor, family) in [
            (TextStyle::Small, 0.82, FontFamily::Proportional),
            (TextStyle::Body, 1.0, FontFamily::Proportional),
            (TextStyle::Button, 1.0, FontFamily::Proportional),
            (TextStyle::Monospace, 0.95, FontFamily::Monospace),
        ] {
            style
                .text_styles
                .insert(text_style, FontId::new(size * factor, family));
        }
        // Whole points: fractional spacing leaves widgets off the pixel grid.
        let spacing = &mut style.spacing;
        spacing.button_padding = Vec2::new(size * 0.8, size * 0.4).round();
        spacing.interact_size = Vec2::new(size * 3.0, size * 2.0).round();
        spacing.icon_width = (size * 1.1).round();
        spacing.icon_width_inner = (size * 0.6).round();
        spacing.icon_spacing = (size * 0.4).round();
    }
    if let Some(size) = theme.heading_size {
        style.text_styles.insert(
            TextStyle::Heading,
            FontId::new(size * scale, FontFamily::Proportional),
        );
    }
    // The theme's font for every text but code, at the sizes chosen above.
    // A family is usable once the context's fonts were rebuilt with it.
    let menu_family = FontFamily::Name(MENU_FAMILY.into());
    if theme.font.is_some()
        && ctx.fonts(|fonts| fonts.definitions().families.contains_key(&menu_family))
    {
        for (text_style, font) in &mut style.text_styles {
            if *text_style != TextStyle::Monospace {
                font.family = menu_family.clone();
            }
        }
    }
    if let Some(rows) = theme.spacing {
        style.spacing.item_spacing = (Vec2::new(8.0, rows) * scale).round();
    }
    if let Some(padding) = theme.padding {
        style.spacing.window_margin =
            Margin::same((padding * scale).round().clamp(0.0, 127.0) as i8);
    }

    let visuals = &mut style.visuals;
    if let Some(radius) = theme.corner_radius {
        let widget_radius = CornerRadius::same(scaled(radius / 2, scale));
        for widget in [
            &mut visuals.widgets.noninteractive,
            &mut visuals.widgets.inactive,
            &mut visuals.widgets.hovered,
            &mut visuals.widgets.active,
            &mut visuals.widgets.open,
        ] {
            widget.corner_radius = widget_radius;
        }
        visuals.window_corner_radius = CornerRadius::same(scaled(radius, scale));
    }
    if let Some(accent) = theme.accent {
        visuals.hyperlink_color = accent;
        visuals.selection.bg_fill = accent.gamma_multiply(0.6);
        // The focus ring (keyboard and gamepad) is the selection stroke.
        visuals.selection.stroke = Stroke::new(2.0 * scale.max(1.0), accent);
        visuals.widgets.hovered.bg_stroke = Stroke::new(1.5 * scale.max(1.0), accent);
    }
    if let Some(fill) = theme.panel_fill {
        visuals.window_fill = fill;
    }
    style
}

fn scaled(radius: u8, scale: f32) -> u8 {
    (f32::from(radius) * scale).round().clamp(0.0, 255.0) as u8
}

/// The scale the menu's panel drew with this frame (1 outside one).
pub(super) fn current_scale(ui: &Ui) -> f32 {
    ui.ctx()
        .data(|data| data.get_temp::<f32>(scale_id()))
        .unwrap_or(1.0)
}

fn scale_id() -> Id {
    Id::new("bevy_cognito_login::menu::scale")
}

/// Draws `draw` in the menu's panel, centred in the window with the
/// theme's look and backdrop, and returns what it returned. `name` tells
/// panels apart (the sign-in and the account screens).
pub fn panel<R>(
    ctx: &Context,
    theme: &MenuTheme,
    name: &str,
    draw: impl FnOnce(&mut Ui) -> Option<R>,
) -> Option<R> {
    install_fonts(ctx, theme);
    let screen = ctx.content_rect();
    let scale = theme.scale(screen.height());
    ctx.data_mut(|data| data.insert_temp(scale_id(), scale));
    if let Some(backdrop) = theme.backdrop {
        ctx.layer_painter(LayerId::new(
            Order::Background,
            Id::new("bevy_cognito_login::menu::backdrop"),
        ))
        .rect_filled(screen, 0.0, backdrop);
    }
    let style = menu_style(ctx, theme, scale);
    let frame = egui::Frame::window(&style)
        .stroke(Stroke::NONE)
        .inner_margin(style.spacing.window_margin);
    let margin = frame.total_margin().sum();
    let width = (theme.panel_width * scale).min(screen.width() - 2.0 * margin.x);
    // Taller than the window, the panel scrolls (to the focused field too).
    let height = screen.height() - 2.0 * margin.y;
    let mut drawn = None;
    egui::Area::new(panel_id(name))
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .order(Order::Middle)
        .show(ctx, |ui| {
            ui.set_style(style);
            frame.show(ui, |ui| {
                // Room to grow: an area offers only its last frame's size.
                let room = Vec2::new(width.max(120.0), height.max(60.0)).round();
                ui.allocate_ui(room, |ui| {
                    ui.set_width(room.x);
                    let scroll = egui::ScrollArea::vertical()
                        .max_height(room.y)
                        .auto_shrink([false, true])
                        .show(ui, |ui| drawn = draw(ui));
                    let scrolls = scroll.content_size.y > scroll.inner_rect.height() + 0.5;
                    let key = panel_id(name).with("scrolls");
                    ui.data_mut(|data| data.insert_temp(key, scrolls));
                });
            });
        });
    drawn
}

/// The texts drawn in the panel at `panel` that do not fit it: cut off by
/// their clip rectangle (a scrolled or too-narrow panel), elided, or
/// reaching outside the panel. `shapes` is a pass's output
/// (`FullOutput::shapes`); shapes clipped outside the panel (the game's
/// own) are not looked at.
pub fn clipped_text(panel: Rect, shapes: &[ClippedShape]) -> Vec<String> {
    let mut clipped = Vec::new();
    for ClippedShape { clip_rect, shape } in shapes {
        if !panel.expand(2.0).contains_rect(clip_rect.shrink(2.0)) {
            continue;
        }
        let mut stack = vec![shape];
        while let Some(shape) = stack.pop() {
            match shape {
                Shape::Vec(shapes) => stack.extend(shapes),
                Shape::Text(text) if !text.galley.text().trim().is_empty() => {
                    let rect = text.visual_bounding_rect();
                    let cut = text.galley.elided
                        || !(clip_rect.expand(0.5).contains_rect(rect)
                            && panel.expand(0.5).contains_rect(rect));
                    if cut {
                        clipped.push(text.galley.text().to_owned());
                    }
                }
                _ => {}
            }
        }
    }
    clipped
}

/// Where the menu's panel was last drawn, and whether all of it showed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelLayout {
    /// The panel, frame included.
    pub rect: Rect,
    /// Its content was taller than the window allows, so it scrolls.
    pub scrolls: bool,
}

/// The last layout of the menu's panel `name` (as given to [`panel`]).
pub fn panel_layout(ctx: &Context, name: &str) -> Option<PanelLayout> {
    let rect = ctx.memory(|memory| memory.area_rect(panel_id(name)))?;
    let scrolls = ctx.data(|data| data.get_temp(panel_id(name).with("scrolls")))?;
    Some(PanelLayout { rect, scrolls })
}

fn panel_id(name: &str) -> Id {
    Id::new(("bevy_cognito_login::menu", name))
}
