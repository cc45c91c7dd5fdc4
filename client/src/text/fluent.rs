//! The tables as Fluent resources (`.ftl`), read and written with Project
//! Fluent's own parser and serializer: [`Translations::add_fluent`] and
//! [`Translations::to_fluent`].

use std::collections::{BTreeMap, HashMap};

use fluent_syntax::ast::{
    Entry, Expression, Identifier, InlineExpression, Message, Pattern, PatternElement, Resource,
    Variant, VariantKey,
};
use fluent_syntax::{parser, serializer, unicode};

use super::{FALLBACK_LOCALE, PLURAL_CATEGORIES, Table, TranslationError, Translations};

/// A sentence's text, if the table has it, and its plural variants by
/// category.
type Forms<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>);

/// How deep terms may refer to terms.
const TERM_DEPTH: usize = 8;

impl Translations {
    /// Adds the sentences of a Fluent resource (`.ftl`) to `locale`'s
    /// table, as [`add`](Self::add) does, and returns the ids of the
    /// messages it left alone: the game's own, or a misspelt id.
    ///
    /// A sentence's id is its key with `-` for `.`: `menu-button-sign-in`
    /// for `menu.button.sign-in`. Its value may hold variables
    /// (`{ $count }` for `{count}`), string literals, the resource's terms
    /// (`{ -game-name }`), and one select on a variable over plural
    /// categories, which gives the sentence its plural variants
    /// ([`format_count`](Self::format_count)):
    ///
    /// ```
    /// use cognito_login_client::Translations;
    ///
    /// let mut texts = Translations::shipped_in("en");
    /// let game_own = texts.add_fluent("fr", r#"
    /// -game = Coin Collector
    /// play = Jouer
    /// menu-button-sign-in = Entrer dans { -game }
    /// menu-policy-length = { $count ->
    ///     [one] Au moins { $count } caractère
    ///    *[other] Au moins { $count } caractères
    /// }
    /// "#)?;
    /// assert_eq!(game_own, ["play"]);
    /// texts.select("fr");
    /// assert_eq!(texts.get("menu.button.sign-in"), "Entrer dans Coin Collector");
    /// assert_eq!(texts.format_count("menu.policy.length", 1, &[]), "Au moins 1 caractère");
    /// # Ok::<(), cognito_login_client::TranslationError>(())
    /// ```
    ///
    /// Nothing is added when the resource does not parse, or when a
    /// sentence's value uses what a table cannot hold (a function, another
    /// message, a number as a variant's key, a second select); the error
    /// names the line.
    pub fn add_fluent(
        &mut self,
        locale: &str,
        source: &str,
    ) -> Result<Vec<String>, TranslationError> {
        let error = |line: usize, reason: String| TranslationError {
            locale: locale.to_owned(),
            line,
            reason,
        };
        let resource = parser::parse(source).map_err(|(_, errors)| match errors.first() {
            Some(first) => error(line_at(source, first.pos.start), first.to_string()),
            None => error(1, "the resource does not parse".to_owned()),
        })?;
        let terms: HashMap<&str, &Pattern<&str>> = resource
            .body
            .iter()
            .filter_map(|entry| match entry {
                Entry::Term(term) => Some((term.id.name, &term.value)),
                _ => None,
            })
            .collect();
        let keys: HashMap<String, &str> = self
            .keys(FALLBACK_LOCALE)
            .filter(|key| !key.contains('['))
            .map(|key| (key.replace('.', "-"), key))
            .collect();

        let mut table = Table::new();
        let mut left = Vec::new();
        for entry in &resource.body {
            let Entry::Message(message) = entry else {
                continue;
            };
            let Some(key) = keys.get(message.id.name) else {
                left.push(message.id.name.to_owned());
                continue;
            };
            let sentence = message
                .value
                .as_ref()
                .ok_or_else(|| "the message has no value".to_owned())
                .and_then(|value| Sentence::of(value, &terms))
                .map_err(|reason| error(message_line(source, message), reason))?;
            for (category, text) in sentence.variants {
                table.insert(format!("{key}[{category}]"), text);
            }
            table.insert((*key).to_owned(), sentence.text);
        }
        self.merge(locale, table);
        Ok(left)
    }

    /// `locale`'s own table as a Fluent resource, one message per sentence
    /// (sorted by key, plural variants as a select on `$count`): a start
    /// for translators who work in Fluent. [`add_fluent`](Self::add_fluent)
    /// reads it back.
    pub fn to_fluent(&self, locale: &str) -> String {
        let mut sentences: BTreeMap<&str, Forms> = BTreeMap::new();
        for key in self.keys(locale) {
            let text = self.get_in(locale, key).unwrap_or_default();
            match key.strip_suffix(']').and_then(|key| key.split_once('[')) {
                Some((name, category)) => {
                    sentences.entry(name).or_default().1.push((category, text))
                }
                None => sentences.entry(key).or_default().0 = Some(text),
            }
        }
        let mut body = Vec::new();
        for (key, (text, mut variants)) in sentences {
            // A variant without its sentence has no default to fall back on.
            let Some(text) = text else { continue };
            let id = key.replace('.', "-");
            let elements = if variants.is_empty() {
                pattern_of(text).elements
            } else {
                variants.sort_by_key(|(category, _)| {
                    PLURAL_CATEGORIES.iter().position(|known| known == category)
                });
                variants.retain(|(category, _)| *category != "other");
                let mut variants: Vec<Variant<String>> = variants
                    .into_iter()
                    .map(|(category, text)| Variant {
                        key: VariantKey::Identifier {
                            name: category.to_owned(),
                        },
                        value: pattern_of(text),
                        default: false,
                    })
                    .collect();
                variants.push(Variant {
                    key: VariantKey::Identifier {
                        name: "other".to_owned(),
                    },
                    value: pattern_of(text),
                    default: true,
                });
                vec![PatternElement::Placeable {
                    expression: Expression::Select {
                        selector: InlineExpression::VariableReference {
                            id: Identifier {
                                name: "count".to_owned(),
                            },
                        },
                        variants,
                    },
                }]
            };
            body.push(Entry::Message(Message {
                id: Identifier { name: id },
                value: Some(Pattern { elements }),
                attributes: Vec::new(),
                comment: None,
            }));
        }
        serializer::serialize(&Resource { body })
    }
}

/// A sentence read from a message: its text (a select's default), and its
/// other plural variants.
struct Sentence {
    text: String,
    variants: Vec<(&'static str, String)>,
}

impl Sentence {
    fn of(pattern: &Pattern<&str>, terms: &HashMap<&str, &Pattern<&str>>) -> Result<Self, String> {
        let mut sentence = Sentence {
            text: String::new(),
            variants: Vec::new(),
        };
        let mut selected = false;
        for element in &pattern.elements {
            let expression = match element {
                PatternElement::TextElement { value } => {
                    sentence.push(value);
                    continue;
                }
                PatternElement::Placeable { expression } => expression,
            };
            let Expression::Select { selector, variants } = expression else {
                sentence.push(&text_of_placeable(expression, terms, 0)?);
                continue;
            };
            if selected {
                return Err("a sentence has at most one select".to_owned());
            }
            selected = true;
            if !matches!(selector, InlineExpression::VariableReference { .. }) {
                return Err("a select chooses by a variable, such as `$count`".to_owned());
            }
            let before = std::mem::take(&mut sentence.text);
            for variant in variants {
                let VariantKey::Identifier { name } = variant.key else {
                    return Err(
                        "a variant's key is a plural category (one, few, other…), not a number"
                            .to_owned(),
                    );
                };
                let category = PLURAL_CATEGORIES
                    .into_iter()
                    .find(|category| *category == name)
                    .ok_or_else(|| format!("`{name}` is not a plural category"))?;
                let text = format!("{before}{}", text_of(&variant.value, terms, 0)?);
                // The default is the sentence itself.
                if variant.default {
                    sentence.text = text;
                } else {
                    sentence.variants.push((category, text));
                }
            }
        }
        Ok(sentence)
    }

    /// Adds `text` to the sentence and to each of its variants.
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
        for (_, variant) in &mut self.variants {
            variant.push_str(text);
        }
    }
}

/// A pattern with no select as a table's text.
fn text_of(
    pattern: &Pattern<&str>,
    terms: &HashMap<&str, &Pattern<&str>>,
    depth: usize,
) -> Result<String, String> {
    let mut text = String::new();
    for element in &pattern.elements {
        match element {
            PatternElement::TextElement { value } => text.push_str(value),
            PatternElement::Placeable { expression } => {
                text.push_str(&text_of_placeable(expression, terms, depth)?);
            }
        }
    }
    Ok(text)
}

fn text_of_placeable(
    expression: &Expression<&str>,
    terms: &HashMap<&str, &Pattern<&str>>,
    depth: usize,
) -> Result<String, String> {
    let Expression::Inline(inline) = expression else {
        return Err("a select inside a variant, or inside a term".to_owned());
    };
    Ok(match inline {
        InlineExpression::StringLiteral { value } => {
            unicode::unescape_unicode_to_string(value).into_owned()
        }
        InlineExpression::NumberLiteral { value } => (*value).to_owned(),
        InlineExpression::VariableReference { id } => format!("{{{}}}", id.name),
        InlineExpression::TermReference {
            id,
            attribute: None,
            arguments: None,
        } => {
            let term = terms
                .get(id.name)
                .ok_or_else(|| format!("the term `-{}` is not in the resource", id.name))?;
            if depth >= TERM_DEPTH {
                return Err(format!("the term `-{}` refers to itself", id.name));
            }
            text_of(term, terms, depth + 1)?
        }
        InlineExpression::Placeable { expression } => text_of_placeable(expression, terms, depth)?,
        InlineExpression::TermReference { id, .. } => {
            return Err(format!(
                "the term `-{}` is used with an attribute or arguments",
                id.name
            ));
        }
        InlineExpression::MessageReference { id, .. } => {
            return Err(format!("another message (`{}`) in a sentence", id.name));
        }
        InlineExpression::FunctionReference { id, .. } => {
            return Err(format!("a function (`{}`) in a sentence", id.name));
        }
    })
}

/// A table's text as a Fluent pattern: `{name}` as the variable `$name`,
/// any other brace as a string literal.
fn pattern_of(text: &str) -> Pattern<String> {
    let mut elements = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let flush = |literal: &mut String, elements: &mut Vec<PatternElement<String>>| {
        if !literal.is_empty() {
            elements.push(PatternElement::TextElement {
                value: std::mem::take(literal),
            });
        }
    };
    while let Some(start) = rest.find(['{', '}']) {
        literal.push_str(&rest[..start]);
        let brace = &rest[start..=start];
        let after = &rest[start + 1..];
        let variable = after
            .split_once('}')
            .map(|(name, _)| name)
            .filter(|name| brace == "{" && is_identifier(name));
        flush(&mut literal, &mut elements);
        let (expression, consumed) = match variable {
            Some(name) => (
                InlineExpression::VariableReference {
                    id: Identifier {
                        name: name.to_owned(),
                    },
                },
                name.len() + 2,
            ),
            None => (
                InlineExpression::StringLiteral {
                    value: brace.to_owned(),
                },
                1,
            ),
        };
        elements.push(PatternElement::Placeable {
            expression: Expression::Inline(expression),
        });
        rest = &rest[start + consumed..];
    }
    literal.push_str(rest);
    flush(&mut literal, &mut elements);
    Pattern { elements }
}

/// Whether `name` is a Fluent identifier (`[a-zA-Z][a-zA-Z0-9_-]*`).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The line, counted from 1, of byte `at` of `source`.
fn line_at(source: &str, at: usize) -> usize {
    source
        .get(..at)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The line where `message` starts (its id at the start of a line).
fn message_line(source: &str, message: &Message<&str>) -> usize {
    source
        .lines()
        .position(|line| {
            line.strip_prefix(message.id.name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |index| index + 1)
}

#[cfg(test)]
mod tests;
