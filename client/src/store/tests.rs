use super::*;
use keyring_core::mock;

fn tokens(tag: &str) -> Tokens {
    Tokens {
        access_token: format!("access.{tag}.sig").into(),
        id_token: format!("id.{tag}.{}", "i".repeat(900)).into(),
        refresh_token: Some(format!("refresh-{tag}-{}", "r".repeat(1700)).into()),
        expires_at: None,
        new_device: None,
        from_browser: false,
        // About the size of a pool's two keys.
        signing_keys: Some(SigningKeys::stored(format!(
            r#"{{"keys":[{{"kid":"{tag}","n":"{}"}}]}}"#,
            "n".repeat(700)
        ))),
    }
}

fn store() -> KeychainStore {
    KeychainStore::new(mock::Store::new().unwrap(), "game", "http://127.0.0.1:1")
}

#[test]
fn saves_loads_and_clears() {
    let store = store();
    assert_eq!(store.load(), Ok(None));
    store.save(&tokens("a")).unwrap();
    assert_eq!(store.load(), Ok(Some(tokens("a"))));
    store.clear().unwrap();
    assert_eq!(store.load(), Ok(None));
    store.clear().expect("clearing nothing is fine");

    let browser = Tokens {
        from_browser: true,
        ..tokens("b")
    };
    store.save(&browser).unwrap();
    assert_eq!(
        store.load(),
        Ok(Some(browser)),
        "a browser session stays one"
    );

    let mut fetched = tokens("c");
    fetched.signing_keys = Some(SigningKeys::fetched(r#"{"keys":[]}"#));
    store.save(&fetched).unwrap();
    assert_eq!(
        store.load().unwrap().unwrap().signing_keys,
        Some(SigningKeys::stored(r#"{"keys":[]}"#)),
        "the pool's keys are kept, and read back as a stored copy"
    );
    let mut unverified = tokens("d");
    unverified.signing_keys = None;
    store.save(&unverified).unwrap();
    assert_eq!(store.load(), Ok(Some(unverified)));
}

#[test]
fn a_session_is_one_entry() {
    let store = store();
    store.save(&tokens("a")).unwrap();
    assert!(store.read(SESSION).unwrap().is_some());
    for name in LEGACY.iter().map(|n| n.to_string()).chain([part_name(1)]) {
        assert_eq!(store.read(&name).unwrap(), None, "{name}");
    }
}

#[test]
fn small_entries_split_a_session_and_load_it_whole() {
    let store = store().with_entry_limit(2560);
    store.save(&tokens("a")).unwrap();
    assert!(store.read(SESSION).unwrap().unwrap().starts_with("split "));
    for part in 1..=2 {
        let entry = store.read(&part_name(part)).unwrap().unwrap();
        assert!(entry.len() <= 2560, "{}", entry.len());
    }
    assert_eq!(store.load(), Ok(Some(tokens("a"))));
    // A shorter session replaces it whole, leaving no stale part behind.
    let short = Tokens {
        refresh_token: None,
        ..tokens("b")
    };
    store.save(&short).unwrap();
    assert_eq!(store.load(), Ok(Some(short)));
    assert_eq!(store.read(&part_name(2)).unwrap(), None);
    store.clear().unwrap();
    assert_eq!(store.read(&part_name(1)).unwrap(), None);
}

#[test]
fn tokens_with_any_characters_split_and_load_whole() {
    let store = store().with_entry_limit(200);
    let odd = Tokens {
        access_token: "ä".repeat(300).into(),
        ..tokens("é")
    };
    store.save(&odd).unwrap();
    assert_eq!(store.load(), Ok(Some(odd)));
}

#[test]
fn parts_of_two_saves_never_load_as_one_session() {
    let store = store().with_entry_limit(2560);
    store.save(&tokens("a")).unwrap();
    let first_part = store.read(&part_name(1)).unwrap().unwrap();
    store.save(&tokens("b")).unwrap();
    // Another instance's save overwrote one part in between.
    store.write(&part_name(1), &first_part).unwrap();
    assert_eq!(store.load(), Ok(None), "neither session, never a mix");
}

#[test]
fn two_writers_and_a_reader_see_whole_sessions_only() {
    for limit in [None, Some(1200)] {
        let mock = mock::Store::new().unwrap();
        let open = || {
            let store = KeychainStore::new(mock.clone(), "game", "ns");
            match limit {
                Some(limit) => store.with_entry_limit(limit),
                None => store,
            }
        };
        let writers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|tag| {
                let store = open();
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        store.save(&tokens(tag)).unwrap();
                    }
                })
            })
            .collect();
        let reader = open();
        for _ in 0..400 {
            if let Some(loaded) = reader.load().unwrap() {
                assert!(
                    loaded == tokens("a") || loaded == tokens("b"),
                    "a mixed session was loaded"
                );
            }
        }
        writers.into_iter().for_each(|w| w.join().unwrap());
    }
}

#[test]
fn namespaces_keep_sessions_apart() {
    let mock = mock::Store::new().unwrap();
    let test = KeychainStore::new(mock.clone(), "game", "http://127.0.0.1:1");
    let production = KeychainStore::new(mock, "game", "https://api.example.com");
    test.save(&tokens("a")).unwrap();
    assert_eq!(production.load(), Ok(None));
}

#[test]
fn corrupt_entries_are_reported_never_a_panic() {
    let store = store();
    for planted in [
        "soon",
        "{}",
        r#"{"access":"","id":"x","refresh":null}"#,
        "split zz 99999999999999999999999",
        "split",
    ] {
        store.write(SESSION, planted).unwrap();
        assert!(
            matches!(store.load(), Err(StoreError::Corrupt(_))),
            "{planted}"
        );
    }
    store
        .entry(SESSION)
        .unwrap()
        .set_secret(&[0xff, 0xfe])
        .unwrap();
    assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
    store
        .save(&tokens("a"))
        .expect("a corrupt session is replaced");
    assert_eq!(store.load(), Ok(Some(tokens("a"))));
}

#[test]
fn clear_removes_the_entries_of_earlier_versions() {
    let store = store();
    for name in LEGACY {
        store.write(name, "old").unwrap();
    }
    store.clear().unwrap();
    for name in LEGACY {
        assert_eq!(store.read(name).unwrap(), None);
    }
}

/// `count` devices with keys, names and passwords as long as real ones.
fn devices(count: usize) -> RememberedDevices {
    let mut devices = RememberedDevices::default();
    for n in 0..count {
        let device = crate::RememberedDevice::new(crate::NewDevice {
            key: format!("eu-west-1_{n:08}-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
            group_key: "-AbCdEfGhI".into(),
        })
        .unwrap();
        devices.apply(&crate::DeviceChange::Remember {
            account: format!("{n:08}-5b6d-4e7f-8a9b-0c1d2e3f4a5b"),
            names: vec![format!("player{n}"), format!("player{n}@example.com")],
            device,
        });
    }
    devices
}

#[test]
fn remembered_devices_outlive_a_sign_out_and_an_empty_set_leaves_no_entry() {
    let store = store();
    assert_eq!(store.load_devices(), Ok(RememberedDevices::default()));
    let two = devices(2);
    store.save(&tokens("a")).unwrap();
    store.save_devices(&two).unwrap();
    store.clear().unwrap();
    assert_eq!(store.load(), Ok(None));
    assert_eq!(store.load_devices(), Ok(two));
    store.save_devices(&RememberedDevices::default()).unwrap();
    assert_eq!(store.read(DEVICES), Ok(None));
}

#[test]
fn small_entries_keep_the_newest_devices_that_fit() {
    let all = devices(RememberedDevices::LIMIT);
    let whole = serde_json::to_string(&all).unwrap().len();
    assert!(
        whole <= 2560,
        "a Windows credential holds them all: {whole} bytes"
    );
    let store = store().with_entry_limit(whole - 1);
    store.save_devices(&all).unwrap();
    assert!(store.read(DEVICES).unwrap().unwrap().len() < whole);
    let kept = store.load_devices().unwrap();
    assert!(kept.for_sign_in("player7").is_some(), "the newest is kept");
    assert!(kept.for_sign_in("player0").is_none(), "the oldest went");
    store.write(DEVICES, "{not json").unwrap();
    assert!(matches!(store.load_devices(), Err(StoreError::Corrupt(_))));
}

#[test]
fn keychain_failures_are_errors_not_panics() {
    let store = store();
    store.save(&tokens("a")).unwrap();
    let entry = store.entry(SESSION).unwrap();
    let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(Error::NoStorageAccess("locked".into()));
    assert!(matches!(store.load(), Err(StoreError::Unavailable(_))));
    assert_eq!(store.load(), Ok(Some(tokens("a"))), "the next call works");
}

#[test]
fn the_guest_outlives_a_sign_out_and_a_planted_one_is_refused() {
    let store = store();
    assert_eq!(store.load_guest(), Ok(None));
    store.save_guest(Some("eu-west-1:0f1e-2d3c")).unwrap();
    store.save(&tokens("a")).unwrap();
    store.clear().unwrap();
    assert_eq!(
        store.load_guest(),
        Ok(Some("eu-west-1:0f1e-2d3c".into())),
        "a sign-out keeps the guest of this computer"
    );
    assert_eq!(store.load(), Ok(None), "and the guest is not a session");
    store.save_guest(None).unwrap();
    assert_eq!(store.load_guest(), Ok(None));
    store.save_guest(None).expect("forgetting no guest is fine");

    for planted in [
        "",
        "no-colon",
        "eu-west-1:id\nwith a line",
        &"x:".repeat(100),
    ] {
        store.write(GUEST, planted).unwrap();
        assert!(
            matches!(store.load_guest(), Err(StoreError::Corrupt(_))),
            "{planted:?}"
        );
    }
}

#[test]
fn a_store_of_a_games_own_keeps_no_guest_unless_it_says_so() {
    struct Sessions;
    impl SessionStore for Sessions {
        fn load(&self) -> Result<Option<Tokens>, StoreError> {
            Ok(None)
        }
        fn save(&self, _: &Tokens) -> Result<(), StoreError> {
            Ok(())
        }
        fn clear(&self) -> Result<(), StoreError> {
            Ok(())
        }
    }
    assert_eq!(Sessions.load_guest(), Ok(None));
    assert_eq!(Sessions.save_guest(None), Ok(()));
    assert!(Sessions.save_guest(Some("eu-west-1:guest")).is_err());
}
