use super::*;

#[test]
fn every_shipped_table_reads_back_from_its_fluent() {
    let shipped = Translations::shipped_in("en");
    for locale in shipped.locales() {
        let ftl = shipped.to_fluent(locale);
        let mut back = Translations::shipped_in("en");
        let left = back.add_fluent("back", &ftl).unwrap();
        assert!(left.is_empty(), "{locale}: {left:?}");
        let mut keys: Vec<&str> = shipped.keys(locale).collect();
        keys.sort_unstable();
        let mut read: Vec<&str> = back.keys("back").collect();
        read.sort_unstable();
        assert_eq!(read, keys, "{locale}");
        for key in keys {
            assert_eq!(
                back.get_in("back", key),
                shipped.get_in(locale, key),
                "{locale} {key}"
            );
        }
    }
    // Variables, plural selects, and braces that are not variables.
    let english = shipped.to_fluent("en");
    assert!(english.contains("menu-notice-code-sent-to = We sent a code to { $destination }."));
    assert!(
        english.contains("[one] At least { $count } character\n"),
        "{english}"
    );
    let mut texts = shipped.clone();
    texts
        .add("en", "menu.button.sign-in = {not a variable} {x}")
        .unwrap();
    let back = texts.to_fluent("en");
    assert!(
        back.contains(r#"menu-button-sign-in = { "{" }not a variable{ "}" } { $x }"#),
        "{back}"
    );
}

#[test]
fn a_games_fluent_gives_the_menu_its_words_and_keeps_its_own() {
    let mut texts = Translations::shipped_in("en");
    let left = texts
        .add_fluent(
            "de",
            r#"
# The game's own words, in the same file.
-game = Münzsammler
play = Spielen
menu-play = Weiter

menu-button-sign-in = Zu { -game }
menu-notice-code-sent-to = Ein Code ging an { $destination } { "{" }per E-Mail{ "}" }.
menu-policy-length-unmet =
    { $count ->
        [one] Ein Zeichen fehlt
       *[other] Das Passwort braucht { $count }
                Zeichen.
    }
menu-policy-length = Mindestens { $count ->
        [one] ein Zeichen
       *[other] { $count } Zeichen
    } lang
"#,
        )
        .unwrap();
    assert_eq!(left, ["play", "menu-play"]);
    texts.select("de");
    assert_eq!(texts.get("menu.button.sign-in"), "Zu Münzsammler");
    assert_eq!(
        texts.format("menu.notice.code-sent-to", &[("destination", "a***@e***")]),
        "Ein Code ging an a***@e*** {per E-Mail}."
    );
    let count = |key, n| texts.format_count(key, n, &[]);
    assert_eq!(count("menu.policy.length-unmet", 1), "Ein Zeichen fehlt");
    assert_eq!(
        count("menu.policy.length-unmet", 8),
        "Das Passwort braucht 8\nZeichen."
    );
    assert_eq!(
        count("menu.policy.length", 1),
        "Mindestens ein Zeichen lang"
    );
    assert_eq!(count("menu.policy.length", 9), "Mindestens 9 Zeichen lang");
    // The rest is German's shipped words.
    assert_eq!(texts.get("menu.field.password"), "Passwort");
}

#[test]
fn what_a_table_cannot_hold_is_refused_by_line_and_adds_nothing() {
    let cases = [
        (
            "menu-button-sign-in = { NUMBER($n) }",
            1,
            "a function (`NUMBER`) in a sentence",
        ),
        (
            "\nmenu-button-sign-in = { play }",
            2,
            "another message (`play`) in a sentence",
        ),
        (
            "menu-button-sign-in = { -nowhere }",
            1,
            "the term `-nowhere` is not in the resource",
        ),
        (
            "menu-button-sign-in = { $n ->\n [1] one\n *[other] more\n}",
            1,
            "a variant's key is a plural category (one, few, other…), not a number",
        ),
        (
            "menu-button-sign-in = { $n ->\n [some] one\n *[other] more\n}",
            1,
            "`some` is not a plural category",
        ),
        (
            "menu-button-sign-in = { $n ->\n *[other] a\n} { $n ->\n *[other] b\n}",
            1,
            "a sentence has at most one select",
        ),
        (
            "-a = { -b }\n-b = { -a }\nmenu-button-sign-in = { -a }",
            3,
            "the term `-a` refers to itself",
        ),
        (
            "menu-button-sign-in =\n    .title = Go",
            1,
            "the message has no value",
        ),
    ];
    for (source, line, reason) in cases {
        let mut texts = Translations::shipped_in("en");
        let source = format!("menu-field-code = Kode\n{source}");
        let error = texts.add_fluent("en", &source).unwrap_err();
        assert_eq!(
            (error.line, error.reason.as_str()),
            (line + 1, reason),
            "{source}"
        );
        assert_eq!(
            texts.get("menu.field.code"),
            "Code",
            "nothing added: {source}"
        );
    }
    // A resource that does not parse names the line of its first error.
    let mut texts = Translations::shipped_in("en");
    let error = texts
        .add_fluent(
            "en",
            "menu-field-code = Kode\n\nmenu-button-sign-in = { $\n",
        )
        .unwrap_err();
    assert_eq!(error.line, 3, "{error}");
    assert_eq!(texts.get("menu.field.code"), "Code");
}
