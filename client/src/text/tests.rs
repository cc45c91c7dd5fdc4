use super::*;

/// The sentence a plural variant's key belongs to (`key` itself for
/// one that is no variant).
fn sentence_of(key: &str) -> &str {
    key.split_once('[').map_or(key, |(name, _)| name)
}

/// Every shipped locale has every English key, with the same
/// placeholders, and nothing left to translate.
#[test]
fn shipped_locales_are_complete() {
    let texts = Translations::shipped_in("en");
    // Plural variants are each language's own; each has its sentence,
    // and its sentence's placeholders.
    let english: Vec<&str> = texts.keys("en").filter(|key| !key.contains('[')).collect();
    assert!(english.len() > 100);
    for locale in texts.locales() {
        for variant in texts.keys(locale).filter(|key| key.contains('[')) {
            let sentence = sentence_of(variant);
            let base = texts.get_in(locale, sentence);
            assert!(base.is_some(), "{locale} {variant} has no sentence");
            assert_eq!(
                placeholders(texts.get_in(locale, variant).unwrap()),
                placeholders(base.unwrap()),
                "{locale} {variant}"
            );
        }
        for key in &english {
            let source = texts.get_in("en", key).unwrap();
            let Some(text) = texts.get_in(locale, key) else {
                panic!("{locale} lacks {key}");
            };
            let mut wanted = placeholders(source);
            let mut found = placeholders(text);
            wanted.sort_unstable();
            found.sort_unstable();
            assert_eq!(found, wanted, "{locale} {key}");
            assert!(!text.trim().is_empty(), "{locale} {key} is empty");
            for mark in ["TODO", "FIXME", "XXX", "{}", "$"] {
                assert!(!text.contains(mark), "{locale} {key} has {mark}");
            }
            let values: Vec<(&str, &str)> = wanted.iter().map(|name| (*name, "v")).collect();
            let mut filled = texts.clone();
            filled.select(locale);
            assert!(
                !filled.format(key, &values).contains('{'),
                "{locale} {key} keeps a placeholder"
            );
        }
        let extra: Vec<&str> = texts
            .keys(locale)
            .filter(|key| texts.get_in("en", sentence_of(key)).is_none())
            .collect();
        assert!(
            extra.is_empty(),
            "{locale} has keys English lacks: {extra:?}"
        );
    }
    assert_eq!(
        texts.locales().collect::<Vec<_>>(),
        ["de", "en", "ja", "pt-BR"]
    );
}

#[test]
fn closest_locale() {
    let mut texts = Translations::shipped_in("en");
    for (wanted, chosen) in [
        ("de", "de"),
        ("de-AT", "de"),
        ("de_CH.UTF-8", "de"),
        ("pt_BR.UTF-8", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("ja-JP", "ja"),
        ("en-GB", "en"),
        ("fr-FR", "en"),
        ("C", "en"),
        ("", "en"),
    ] {
        texts.select("en");
        assert_eq!(texts.select(wanted), chosen, "{wanted}");
    }
}

#[test]
fn added_lines_replace_and_fall_back() {
    let mut texts = Translations::shipped_in("de");
    let shipped = texts.clone();
    texts
        .add("de", "# the game's word\nmenu.button.sign-in = Los\n\n")
        .unwrap();
    assert_eq!(texts.get("menu.button.sign-in"), "Los");
    // The shared tables are untouched.
    assert_ne!(shipped.get("menu.button.sign-in"), "Los");
    texts.add("xx", "menu.field.code = Kode").unwrap();
    texts.select("xx");
    assert_eq!(texts.get("menu.field.code"), "Kode");
    assert_eq!(texts.get("menu.field.username"), "Username");
    assert_eq!(texts.get("no.such.key"), "no.such.key");
}

#[test]
fn malformed_lines_add_nothing() {
    let mut texts = Translations::shipped_in("en");
    let error = texts
        .add("en", "menu.button.sign-in = Go\nno equals sign")
        .unwrap_err();
    assert_eq!(error.line, 2);
    assert_eq!(texts.get("menu.button.sign-in"), "Sign in");
    assert!(texts.add("en", "two words = x").is_err());
}

#[test]
fn format_fills_placeholders() {
    let texts = Translations::shipped_in("en");
    assert_eq!(
        texts.format("menu.notice.code-sent-to", &[("destination", "a***@e***")]),
        "We sent a code to a***@e***."
    );
    assert_eq!(placeholders("{a} and {b}!"), ["a", "b"]);
    // A value is never filled in again.
    assert_eq!(
        texts.format(
            "menu.devices.last-used",
            &[("name", "{date} {x"), ("date", "2026-11-22")]
        ),
        "{date} {x, last used 2026-11-22"
    );
}

#[test]
fn a_sentence_that_counts_takes_its_languages_plural_form() {
    let mut texts = Translations::shipped_in("en");
    let length = |texts: &Translations, count| texts.format_count("menu.policy.length", count, &[]);
    assert_eq!(length(&texts, 1), "At least 1 character");
    assert_eq!(length(&texts, 0), "At least 0 characters");
    assert_eq!(length(&texts, 12), "At least 12 characters");
    // Portuguese's `one` is 0 and 1 (CLDR), by `pt`'s rules for pt-BR.
    texts.select("pt-BR");
    assert_eq!(length(&texts, 0), "Pelo menos 0 caractere");
    assert_eq!(length(&texts, 2), "Pelo menos 2 caracteres");
    // Japanese has only `other`; German needs no variant.
    texts.select("ja");
    assert_eq!(length(&texts, 1), "1 文字以上");
    texts.select("de");
    assert_eq!(length(&texts, 1), "Mindestens 1 Zeichen");
    // Polish has `few` and `many`; a language CLDR does not know has
    // only the sentence itself.
    texts
        .add(
            "pl",
            "menu.policy.length = Co najmniej {count} znaku\n\
             menu.policy.length[one] = Co najmniej {count} znak\n\
             menu.policy.length[few] = Co najmniej {count} znaki\n\
             menu.policy.length[many] = Co najmniej {count} znaków",
        )
        .unwrap();
    texts.select("pl");
    assert_eq!(length(&texts, 1), "Co najmniej 1 znak");
    assert_eq!(length(&texts, 3), "Co najmniej 3 znaki");
    assert_eq!(length(&texts, 5), "Co najmniej 5 znaków");
    texts
        .add("tlh", "menu.policy.length = {count} ngutlh")
        .unwrap();
    texts.select("tlh");
    assert_eq!(length(&texts, 1), "1 ngutlh");
    // A locale without the sentence counts in English.
    texts.add("xx", "menu.field.code = Kode").unwrap();
    texts.select("xx");
    assert_eq!(length(&texts, 1), "At least 1 character");
}

#[test]
fn a_replaced_sentence_drops_its_old_plural_variants() {
    let mut texts = Translations::shipped_in("en");
    texts
        .add("en", "menu.policy.length = Passwords of {count}+ letters")
        .unwrap();
    assert_eq!(
        texts.format_count("menu.policy.length", 1, &[]),
        "Passwords of 1+ letters"
    );
    // The variant and its sentence together replace both.
    texts
        .add(
            "en",
            "menu.policy.length = {count} letters\nmenu.policy.length[one] = {count} letter",
        )
        .unwrap();
    assert_eq!(texts.format_count("menu.policy.length", 1, &[]), "1 letter");
}

#[test]
fn a_variant_is_of_a_plural_category() {
    let mut texts = Translations::shipped_in("en");
    for line in ["key[single] = x", "key[] = x", "[one] = x", "key[one]x = y"] {
        let error = texts.add("en", line).unwrap_err();
        assert_eq!(error.line, 1, "{line}");
        assert_eq!(
            error.to_string(),
            "line 1 of the en table: not `key = value`"
        );
    }
}
