//! Every sentence a player reads, by locale: the login menu's and
//! [`AuthError::player_message`](crate::AuthError::player_message)'s.
//!
//! A [`Translations`] is one table per locale, each a list of
//! `key = value` lines. English, German, Brazilian Portuguese and Japanese
//! are shipped; a game replaces any sentence or adds a locale with
//! [`Translations::add`], in the same format:
//!
//! ```
//! use cognito_login_client::Translations;
//!
//! let mut texts = Translations::shipped();
//! texts.add("en", "menu.button.sign-in = Play")?;
//! texts.add("fr", "menu.button.sign-in = Jouer\nmenu.field.username = Pseudo")?;
//! texts.select("fr-CA");
//! assert_eq!(texts.get("menu.button.sign-in"), "Jouer");
//! // What French lacks comes from English.
//! assert_eq!(texts.get("menu.field.password"), "Password");
//! # Ok::<(), cognito_login_client::TranslationError>(())
//! ```
//!
//! In a value, `{name}` is filled in by [`Translations::format`] and `\n`
//! is a line break. Lines starting with `#` are comments. A sentence that
//! counts something has a variant for each plural category its language
//! needs (CLDR's `zero`, `one`, `two`, `few`, `many`; the key itself is
//! `other`), chosen by [`Translations::format_count`]:
//!
//! ```
//! use cognito_login_client::Translations;
//!
//! let mut texts = Translations::shipped_in("en");
//! assert_eq!(texts.format_count("menu.policy.length", 1, &[]), "At least 1 character");
//! assert_eq!(texts.format_count("menu.policy.length", 8, &[]), "At least 8 characters");
//! texts.add("pl", "menu.policy.length = Co najmniej {count} znaków\n\
//!                  menu.policy.length[one] = Co najmniej {count} znak\n\
//!                  menu.policy.length[few] = Co najmniej {count} znaki")?;
//! texts.select("pl");
//! assert_eq!(texts.format_count("menu.policy.length", 3, &[]), "Co najmniej 3 znaki");
//! # Ok::<(), cognito_login_client::TranslationError>(())
//! ```
//!
//! With the `fluent` feature, `Translations::add_fluent` reads the same
//! sentences from a Fluent resource (`.ftl`), and `to_fluent` writes one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use unic_langid::LanguageIdentifier;

#[cfg(feature = "fluent")]
mod fluent;

/// The locale every other falls back to, and the one chosen when no
/// locale the player prefers is known.
pub const FALLBACK_LOCALE: &str = "en";

/// The shipped tables, as `(locale, source)`.
const SHIPPED: [(&str, &str); 4] = [
    ("en", include_str!("../locales/en.txt")),
    ("de", include_str!("../locales/de.txt")),
    ("pt-BR", include_str!("../locales/pt-BR.txt")),
    ("ja", include_str!("../locales/ja.txt")),
];

type Table = HashMap<String, String>;

/// The sentences of the menu and of the error messages, by locale, with
/// one locale selected. Cloning is cheap (the tables are shared until one
/// is changed).
#[derive(Clone, PartialEq, Eq)]
pub struct Translations {
    tables: Arc<BTreeMap<String, Table>>,
    locale: String,
}

/// A line of a table that could not be read: not `key = value`, or (from
/// a Fluent resource) what the table cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the {locale} table: {reason}")]
#[non_exhaustive]
pub struct TranslationError {
    /// The locale being added.
    pub locale: String,
    /// The line, counted from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// The plural categories of CLDR, as a variant's key spells them.
const PLURAL_CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

impl Translations {
    /// The shipped tables with the player's locale selected
    /// ([`select_system`](Self::select_system)).
    pub fn shipped() -> Self {
        let mut texts = Self::shipped_in(FALLBACK_LOCALE);
        texts.select_system();
        texts
    }

    /// The shipped tables with `locale` selected (see [`select`](Self::select)).
    pub fn shipped_in(locale: &str) -> Self {
        let mut tables = BTreeMap::new();
        for (name, source) in SHIPPED {
            let table = parse(name, source).expect("a shipped table parses");
            tables.insert(name.to_owned(), table);
        }
        let mut texts = Self {
            tables: Arc::new(tables),
            locale: FALLBACK_LOCALE.to_owned(),
        };
        texts.select(locale);
        texts
    }

    /// The shipped English table, shared: what
    /// [`AuthError::player_message`](crate::AuthError::player_message) reads.
    pub fn english() -> &'static Self {
        static ENGLISH: LazyLock<Translations> =
            LazyLock::new(|| Translations::shipped_in(FALLBACK_LOCALE));
        &ENGLISH
    }

    /// The selected locale.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Every locale with a table, in order of their names.
    pub fn locales(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// Selects the table closest to `wanted`, a BCP 47 or POSIX locale
    /// (`de-AT`, `pt_BR.UTF-8`): the same locale, else one of the same
    /// language, else English. Returns the locale selected.
    pub fn select(&mut self, wanted: &str) -> &str {
        if let Some(found) = self.closest(wanted) {
            self.locale = found.to_owned();
        }
        &self.locale
    }

    /// Selects the first of the operating system's preferred locales that
    /// has a table (see [`select`](Self::select)), else English.
    pub fn select_system(&mut self) -> &str {
        let found =
            sys_locale::get_locales().find_map(|wanted| self.closest(&wanted).map(str::to_owned));
        self.locale = found.unwrap_or_else(|| FALLBACK_LOCALE.to_owned());
        &self.locale
    }

    fn closest(&self, wanted: &str) -> Option<&str> {
        // `pt_BR.UTF-8@euro` -> `pt-br`.
        let wanted = wanted
            .split(['.', '@'])
            .next()
            .unwrap_or_default()
            .replace('_', "-")
            .to_ascii_lowercase();
        let language = wanted.split('-').next().unwrap_or_default();
        let same = |name: &&String| name.to_ascii_lowercase() == wanted;
        let same_language = |name: &&String| {
            name.split('-')
                .next()
                .is_some_and(|lang| lang.eq_ignore_ascii_case(language))
        };
        self.tables
            .keys()
            .find(same)
            .or_else(|| self.tables.keys().find(same_language))
            .map(String::as_str)
    }

    /// Adds `source`'s lines (`key = value`) to `locale`'s table, replacing
    /// the sentences it already had (and their plural variants); a new
    /// locale gets a table of its own. Nothing is added when a line is
    /// malformed.
    pub fn add(&mut self, locale: &str, source: &str) -> Result<(), TranslationError> {
        let lines = parse(locale, source)?;
        self.merge(locale, lines);
        Ok(())
    }

    /// Puts `table`'s sentences into `locale`'s table. A sentence replaced
    /// loses the plural variants it had there: they belonged to the old
    /// words.
    fn merge(&mut self, locale: &str, table: Table) {
        let own = Arc::make_mut(&mut self.tables)
            .entry(locale.to_owned())
            .or_default();
        own.retain(|key, _| {
            key.split_once('[')
                .is_none_or(|(name, _)| !table.contains_key(name) || table.contains_key(key))
        });
        own.extend(table);
    }

    /// The sentence for `key` in the selected locale, else in English, else
    /// the key itself (so a missing sentence shows, and a test finds it).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.get_in(&self.locale, key)
            .or_else(|| self.get_in(FALLBACK_LOCALE, key))
            .unwrap_or(key)
    }

    /// The sentence for `key` in `locale`'s own table, if it has one.
    pub fn get_in(&self, locale: &str, key: &str) -> Option<&str> {
        self.tables.get(locale)?.get(key).map(String::as_str)
    }

    /// Every key of `locale`'s own table.
    pub fn keys(&self, locale: &str) -> impl Iterator<Item = &str> {
        self.tables
            .get(locale)
            .into_iter()
            .flat_map(|table| table.keys().map(String::as_str))
    }

    /// [`get`](Self::get) with each `{name}` replaced by its value in
    /// `values`.
    pub fn format(&self, key: &str, values: &[(&str, &str)]) -> String {
        fill(self.get(key), values)
    }

    /// [`format`](Self::format) for a sentence that counts: the variant of
    /// `key` for `count`'s plural category in the sentence's language
    /// (`key[one]`, `key[few]`, …; else `key` itself), with `{count}` and
    /// each of `values` filled in.
    pub fn format_count(&self, key: &str, count: u64, values: &[(&str, &str)]) -> String {
        let locale = if self.get_in(&self.locale, key).is_some() {
            self.locale.as_str()
        } else {
            FALLBACK_LOCALE
        };
        let category = plural_category(locale, count);
        let text = self
            .get_in(locale, &format!("{key}[{category}]"))
            .unwrap_or_else(|| self.get(key));
        let count = count.to_string();
        let mut all = vec![("count", count.as_str())];
        all.extend_from_slice(values);
        fill(text, &all)
    }
}

/// The CLDR plural category of `count` in `locale` (`other` for a language
/// CLDR does not know), as a variant's key spells it.
fn plural_category(locale: &str, count: u64) -> &'static str {
    let rules = |locale: &str| {
        let id: LanguageIdentifier = locale.parse().ok()?;
        PluralRules::create(id, PluralRuleType::CARDINAL).ok()
    };
    // `pt-BR` has the rules of `pt`.
    let language = locale.split('-').next().unwrap_or_default();
    let category = rules(locale)
        .or_else(|| rules(language))
        .and_then(|rules| rules.select(count).ok());
    match category.unwrap_or(PluralCategory::OTHER) {
        PluralCategory::ZERO => "zero",
        PluralCategory::ONE => "one",
        PluralCategory::TWO => "two",
        PluralCategory::FEW => "few",
        PluralCategory::MANY => "many",
        PluralCategory::OTHER => "other",
    }
}

/// `text` with each `{name}` replaced by its value in `values`.
fn fill(text: &str, values: &[(&str, &str)]) -> String {
    // One pass: a value that holds `{name}` (a server's words, a device's
    // name) is never filled in again.
    let mut rest = text;
    let mut text = String::with_capacity(rest.len());
    while let Some(start) = rest.find('{') {
        text.push_str(&rest[..start]);
        rest = &rest[start + 1..];
        let value = rest.split_once('}').and_then(|(name, after)| {
            let (_, value) = values.iter().find(|(wanted, _)| *wanted == name)?;
            Some((value, after))
        });
        match value {
            Some((value, after)) => {
                text.push_str(value);
                rest = after;
            }
            None => text.push('{'),
        }
    }
    text.push_str(rest);
    text
}

impl Default for Translations {
    /// [`Translations::shipped`].
    fn default() -> Self {
        Self::shipped()
    }
}

impl std::fmt::Debug for Translations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translations")
            .field("locale", &self.locale)
            .field("locales", &self.tables.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The names of the `{placeholders}` in `text`, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

fn parse(locale: &str, source: &str) -> Result<Table, TranslationError> {
    let mut table = Table::new();
    for (index, line) in source.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let malformed = || TranslationError {
            locale: locale.to_owned(),
            line: index + 1,
            reason: "not `key = value`".to_owned(),
        };
        let (key, value) = line.split_once('=').ok_or_else(malformed)?;
        let key = key.trim();
        if !is_key(key) {
            return Err(malformed());
        }
        table.insert(key.to_owned(), value.trim().replace("\\n", "\n"));
    }
    Ok(table)
}

/// Whether `key` names a sentence: no spaces, and a plural variant only of
/// a CLDR category (`menu.policy.length[one]`).
fn is_key(key: &str) -> bool {
    let (name, variant) = match key.strip_suffix(']').and_then(|key| key.split_once('[')) {
        Some((name, category)) => (name, Some(category)),
        None => (key, None),
    };
    !name.is_empty()
        && !name.contains(|c: char| c.is_whitespace() || c == '[' || c == ']')
        && variant.is_none_or(|category| PLURAL_CATEGORIES.contains(&category))
}

#[cfg(test)]
mod tests;
