//! The deployment template against the code: the same routes as the
//! client's defaults, a role that allows exactly the Cognito calls the
//! handlers make, and a clean `cfn-lint` (PyPI; `scripts/test.sh` installs
//! it, and the test fails, never skips, without it).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use cognito_login_client::{AuthAction, DEFAULT_REDIRECT_PORT, ManagedLogin};
use serde_yaml::Value;

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).expect("the template is YAML")
}

fn function(template: &Value) -> &Value {
    &template["Resources"]["LoginFunction"]["Properties"]
}

#[test]
fn the_template_routes_are_the_client_default_routes() {
    let template = template();
    let routes: BTreeSet<(String, String)> = function(&template)["Events"]
        .as_mapping()
        .expect("events")
        .values()
        .filter(|event| event["Type"] == "HttpApi" && event["Properties"]["Auth"].is_null())
        .map(|event| {
            let properties = &event["Properties"];
            (
                properties["Method"].as_str().unwrap().to_owned(),
                properties["Path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = AuthAction::ALL
        .iter()
        .map(|action| ("POST".to_owned(), action.default_route().to_owned()))
        .collect();
    assert_eq!(routes, expected);
}

/// The Cognito operations the handlers (`src/handlers.rs` and
/// `src/handlers/`) call through the SDK: every `cognito.op()`
/// (`self.cognito`'s, and the server client's read of its secret), but
/// `config()`, which reads the SDK client's settings.
fn operations_called() -> BTreeSet<String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("handlers.rs")];
    for entry in std::fs::read_dir(src.join("handlers")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let source: String = files
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap())
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    source
        .split("cognito.")
        .skip(1)
        .filter_map(|call| {
            let name: String = call
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && name != "config").then(|| {
                name.split('_')
                    .map(|word| word[..1].to_uppercase() + &word[1..])
                    .collect::<String>()
            })
        })
        .collect()
}

#[test]
fn the_role_allows_exactly_the_cognito_calls_of_the_handlers() {
    let template = template();
    let statements = function(&template)["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap()
        .clone();
    assert_eq!(
        statements.len(),
        3,
        "Cognito's statement, the profiles', the address limit's"
    );
    let limits = &statements[2];
    assert_eq!(limits["Effect"], "Allow");
    assert_eq!(limits["Resource"]["Fn::GetAtt"][0], "AddressLimitTable");
    assert_eq!(
        limits["Action"].as_sequence().unwrap(),
        &[Value::from("dynamodb:UpdateItem")],
        "count in one item: nothing else"
    );
    let profiles = &statements[1];
    assert_eq!(profiles["Effect"], "Allow");
    assert_eq!(profiles["Resource"]["Fn::GetAtt"][0], "ProfileTable");
    assert_eq!(
        profiles["Action"].as_sequence().unwrap(),
        &[
            Value::from("dynamodb:GetItem"),
            Value::from("dynamodb:PutItem")
        ],
        "read and write one item: nothing else"
    );
    let statement = &statements[0];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(
        statement["Resource"]["Fn::GetAtt"][0], "UserPool",
        "on this pool only"
    );
    let allowed: BTreeSet<String> = statement["Action"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|action| {
            action
                .as_str()
                .unwrap()
                .strip_prefix("cognito-idp:")
                .expect("a Cognito action")
                .to_owned()
        })
        .collect();
    let called = operations_called();
    assert!(
        called.contains("SignUp") && called.contains("ConfirmDevice"),
        "{called:?}"
    );
    assert_eq!(allowed, called);
}

#[test]
fn the_profile_routes_take_only_this_pools_tokens_for_this_app_client() {
    let template = template();
    let authorizer =
        &template["Resources"]["LoginApi"]["Properties"]["Auth"]["Authorizers"]["PlayerToken"];
    assert_eq!(
        authorizer["IdentitySource"],
        "$request.header.Authorization"
    );
    let jwt = &authorizer["JwtConfiguration"];
    assert_eq!(
        jwt["issuer"]["Fn::Sub"],
        "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
    );
    assert_eq!(jwt["audience"][0]["Ref"], "GameClient");

    let events = &function(&template)["Events"];
    for (event, method) in [("GetProfile", "GET"), ("PutProfile", "PUT")] {
        let properties = &events[event]["Properties"];
        assert_eq!(
            (
                properties["Method"].as_str(),
                properties["Path"].as_str(),
                properties["Auth"]["Authorizer"].as_str()
            ),
            (Some(method), Some("/profile"), Some("PlayerToken")),
            "{event}"
        );
    }
    // Only the profile routes need a token: the login routes are public.
    let authorized: BTreeSet<&str> = events
        .as_mapping()
        .unwrap()
        .values()
        .filter(|event| !event["Properties"]["Auth"].is_null())
        .map(|event| event["Properties"]["Path"].as_str().unwrap())
        .collect();
    assert_eq!(
        authorized,
        BTreeSet::from(["/profile", "/admin/profiles/{sub}"])
    );

    let table = &template["Resources"]["ProfileTable"]["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["KeySchema"][0]["AttributeName"], "sub");
    assert_eq!(
        function(&template)["Environment"]["Variables"]["PROFILE_TABLE"]["Ref"],
        "ProfileTable"
    );
}

#[test]
fn the_app_client_is_public_with_revocation_and_hidden_user_existence() {
    let template = template();
    let client = &template["Resources"]["GameClient"]["Properties"];
    assert_eq!(client["GenerateSecret"], false);
    assert_eq!(client["EnableTokenRevocation"], true);
    assert_eq!(client["PreventUserExistenceErrors"], "ENABLED");
    let flows: Vec<&str> = client["ExplicitAuthFlows"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        flows,
        [
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH"
        ]
    );
}

/// By default the routes sign players in through a confidential client: a
/// secret the function reads from the pool (in no parameter or variable),
/// the admin password sign-in only, the player's context propagated; its
/// tokens pass the profile routes' authorizer too.
#[test]
fn the_routes_sign_in_through_a_confidential_client_by_default() {
    let template = template();
    assert_eq!(default(&template, "ServerSideSignIn"), "ENABLED");
    assert_eq!(
        template["Conditions"]["HasServerClient"]["Fn::Equals"][0]["Ref"],
        "ServerSideSignIn"
    );
    let resource = &template["Resources"]["ServerClient"];
    assert_eq!(resource["Condition"], "HasServerClient");
    let client = &resource["Properties"];
    assert_eq!(client["GenerateSecret"], true);
    assert_eq!(client["EnableTokenRevocation"], true);
    assert_eq!(client["PreventUserExistenceErrors"], "ENABLED");
    assert_eq!(client["EnablePropagateAdditionalUserContextData"], true);
    assert_eq!(
        strings(&client["ExplicitAuthFlows"]),
        ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    );
    assert!(
        client["AllowedOAuthFlows"].is_null(),
        "no browser flow: its secret stays on the server"
    );
    // Its tokens live as long as the public client's.
    let game = &template["Resources"]["GameClient"]["Properties"];
    for setting in [
        "AccessTokenValidity",
        "IdTokenValidity",
        "RefreshTokenValidity",
        "TokenValidityUnits",
        "RefreshTokenRotation",
    ] {
        assert_eq!(client[setting], game[setting], "{setting}");
    }

    let variables = &function(&template)["Environment"]["Variables"];
    assert_eq!(
        variables["COGNITO_SERVER_CLIENT_ID"]["Fn::If"][1]["Ref"],
        "ServerClient"
    );
    assert_eq!(variables["COGNITO_USER_POOL_ID"]["Ref"], "UserPool");
    assert!(
        variables["COGNITO_SERVER_CLIENT_SECRET"].is_null(),
        "the secret is read from the pool, never put in the environment"
    );
    let audience = &template["Resources"]["LoginApi"]["Properties"]["Auth"]["Authorizers"]["PlayerToken"]
        ["JwtConfiguration"]["audience"];
    assert_eq!(audience[1]["Fn::If"][1]["Ref"], "ServerClient");
    let outputs = &template["Outputs"];
    assert_eq!(outputs["ServerClientId"]["Value"]["Ref"], "ServerClient");
    assert!(
        outputs["GameEnvironment"]["Value"]["Fn::If"][1]["Fn::Sub"]
            .as_str()
            .unwrap()
            .contains("BEVY_COGNITO_LOGIN_SERVER_CLIENT=${ServerClient}")
    );
}

/// The example groups exist, and the admin route the function gates on
/// its group is a token-checked `GET` of the path the backend serves.
#[test]
fn the_admin_route_is_for_the_admins_group_the_template_makes() {
    let template = template();
    let resources = &template["Resources"];
    let groups: BTreeSet<&str> = resources
        .as_mapping()
        .unwrap()
        .values()
        .filter(|resource| resource["Type"] == "AWS::Cognito::UserPoolGroup")
        .map(|group| {
            assert_eq!(group["Properties"]["UserPoolId"]["Ref"], "UserPool");
            group["Properties"]["GroupName"].as_str().unwrap()
        })
        .collect();
    assert_eq!(groups, BTreeSet::from(["admins", "suspended", "testers"]));
    assert!(groups.contains(cognito_login_backend::profile::ADMIN_GROUP));
    let admin = &function(&template)["Events"]["AdminProfile"]["Properties"];
    assert_eq!(admin["Method"], "GET");
    assert_eq!(
        admin["Path"].as_str(),
        Some(cognito_login_backend::profile::ADMIN_PROFILE_ROUTE)
    );
    assert_eq!(admin["Auth"]["Authorizer"], "PlayerToken");
}

#[test]
fn browser_sign_in_has_a_domain_the_clients_redirect_and_optional_providers() {
    let template = template();
    let resources = &template["Resources"];
    assert_eq!(
        resources["UserPoolDomain"]["Properties"]["Domain"]["Ref"],
        "DomainPrefix"
    );
    let client = &resources["GameClient"]["Properties"];
    assert_eq!(client["AllowedOAuthFlowsUserPoolClient"], true);
    assert_eq!(client["AllowedOAuthFlows"][0], "code");
    let scopes: Vec<&str> = client["AllowedOAuthScopes"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let login = ManagedLogin::new("https://example.com", "client");
    assert_eq!(scopes, login.scopes, "every scope the client asks for");

    // The loopback URLs, port included, exactly as the client sends them.
    let port = &template["Parameters"]["RedirectPort"];
    assert_eq!(port["Default"].as_u64(), Some(DEFAULT_REDIRECT_PORT.into()));
    let listed = |key: &str| client[key][0]["Fn::Sub"].as_str().unwrap().to_owned();
    let with_port =
        |uri: String| uri.replace(&DEFAULT_REDIRECT_PORT.to_string(), "${RedirectPort}");
    assert_eq!(
        listed("CallbackURLs"),
        with_port(ManagedLogin::redirect_uri(DEFAULT_REDIRECT_PORT))
    );
    assert_eq!(
        listed("LogoutURLs"),
        with_port(ManagedLogin::logout_uri(DEFAULT_REDIRECT_PORT))
    );

    // Google and Apple only when configured; their secrets never echoed.
    let providers = client["SupportedIdentityProviders"].as_sequence().unwrap();
    assert_eq!(providers[0], "COGNITO");
    for (resource, name, condition, secret) in [
        (
            "GoogleProvider",
            "Google",
            "HasGoogle",
            "GoogleClientSecret",
        ),
        (
            "AppleProvider",
            "SignInWithApple",
            "HasApple",
            "ApplePrivateKey",
        ),
    ] {
        let provider = &resources[resource];
        assert_eq!(provider["Condition"], condition);
        assert_eq!(provider["Properties"]["ProviderName"], name);
        assert_eq!(provider["Properties"]["ProviderType"], name);
        let mapping = &provider["Properties"]["AttributeMapping"];
        assert_eq!(mapping["email"], "email", "{resource}");
        assert!(
            providers
                .iter()
                .any(|listed| listed["Fn::If"][0] == condition
                    && listed["Fn::If"][1]["Ref"] == resource),
            "{resource} is offered when configured"
        );
        let parameter = &template["Parameters"][secret];
        assert_eq!(parameter["NoEcho"], true, "{secret}");
        assert_eq!(parameter["Default"], "", "{secret} is optional");
    }
}

#[test]
fn the_game_environment_names_everything_the_example_reads() {
    let template = template();
    let choice = &template["Outputs"]["GameEnvironment"]["Value"]["Fn::If"];
    assert_eq!(choice[0], "HasServerClient");
    let game = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/game.rs"))
        .unwrap();
    let mut names = vec![
        ("BEVY_COGNITO_LOGIN_URL", "execute-api"),
        ("BEVY_COGNITO_LOGIN_POOL", "${UserPool}"),
        ("BEVY_COGNITO_LOGIN_CLIENT", "${GameClient}"),
        ("BEVY_COGNITO_LOGIN_DOMAIN", "${UserPoolDomain}.auth"),
        ("BEVY_COGNITO_LOGIN_IDENTITY_POOL", "${IdentityPool}"),
        ("BEVY_COGNITO_LOGIN_PLAYER_DATA", "${PlayerDataTable}"),
    ];
    // Without the server client, the same line less its client.
    for branch in [2, 1] {
        let line = choice[branch]["Fn::Sub"].as_str().expect("a Fn::Sub line");
        assert_eq!(line.split(' ').count(), names.len(), "{line}");
        for (name, value) in &names {
            let assignment = line
                .split(' ')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} is missing from {line}"));
            assert!(assignment.contains(value), "{name}={assignment}");
            assert!(
                game.contains(&format!("\"{name}\"")),
                "the example reads {name}"
            );
        }
        names.push(("BEVY_COGNITO_LOGIN_SERVER_CLIENT", "${ServerClient}"));
    }
}

#[test]
fn cfn_lint_finds_no_errors() {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    // The `cfn-lint` script's own entry point: no PATH or shim needed.
    let output = Command::new("python3")
        .args(["-c", "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"])
        .arg(&template)
        .output()
        .unwrap_or_else(|error| {
            panic!("cfn-lint cannot run ({error}): `pip install cfn-lint` (scripts/test.sh does)")
        });
    assert!(
        output.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn default(template: &Value, parameter: &str) -> Value {
    template["Parameters"][parameter]["Default"].clone()
}

fn pool(template: &Value) -> &Value {
    &template["Resources"]["UserPool"]["Properties"]
}

/// The strings of a YAML sequence.
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_sequence()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Every account feature the menu offers works on a pool made with the
/// default parameters: an authenticator app (MFA optional), email codes
/// where SES sends them on a tier that has them, "Remember this computer"
/// (devices remembered when the player asks), and sign-in with the email
/// address as well as the username.
#[test]
fn the_default_pool_has_every_feature_the_menu_offers() {
    let template = template();
    let pool = pool(&template);
    assert_eq!(default(&template, "MfaConfiguration"), "OPTIONAL");
    assert_eq!(pool["MfaConfiguration"]["Ref"], "MfaConfiguration");
    let [condition, off, on] = [0, 1, 2].map(|i| &pool["EnabledMfas"]["Fn::If"][i]);
    assert_eq!(
        (condition, &off["Ref"]),
        (&"MfaOff".into(), &"AWS::NoValue".into())
    );
    let on = &on["Fn::If"];
    assert_eq!(on[0], "SendsEmailCodes");
    assert_eq!(strings(&on[1]), ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]);
    assert_eq!(strings(&on[2]), ["SOFTWARE_TOKEN_MFA"]);
    assert_eq!(
        template["Conditions"]["SendsEmailCodes"]["Fn::And"][0]["Condition"], "HasSes",
        "email codes need the pool's own sender"
    );
    assert_eq!(default(&template, "EmailCodes"), "ENABLED");
    let tier = default(&template, "UserPoolTier");
    assert!(
        tier == "ESSENTIALS" || tier == "PLUS",
        "email codes need {tier:?}"
    );
    assert_eq!(pool["UserPoolTier"]["Ref"], "UserPoolTier");
    let devices = &pool["DeviceConfiguration"];
    assert_eq!(devices["DeviceOnlyRememberedOnUserPrompt"], true);
    assert_eq!(devices["ChallengeRequiredOnNewDevice"], false);
    assert_eq!(default(&template, "SignInWith"), "username-or-email");
    assert_eq!(
        pool["AliasAttributes"]["Fn::If"][0], "SignInWithEmailToo",
        "the email address signs in too"
    );
    assert_eq!(strings(&pool["AliasAttributes"]["Fn::If"][1]), ["email"]);
}

/// Email leaves through SES once an identity is given; Cognito's own
/// sender (a few dozen a day) only without one, and an output says so.
#[test]
fn email_goes_through_ses_when_an_identity_is_given() {
    let template = template();
    let email = &pool(&template)["EmailConfiguration"]["Fn::If"];
    assert_eq!(email[0], "HasSes");
    assert_eq!(email[1]["EmailSendingAccount"], "DEVELOPER");
    assert_eq!(email[1]["SourceArn"]["Ref"], "SesIdentityArn");
    assert_eq!(email[2]["EmailSendingAccount"], "COGNITO_DEFAULT");
    assert_eq!(default(&template, "SesIdentityArn"), "");
    let sender = &template["Outputs"]["EmailSender"]["Value"]["Fn::If"];
    assert!(sender[2].as_str().unwrap().contains("development only"));
}

/// Neither a stack delete nor a replacement takes the players or their
/// profiles; a deleted account's profile marker expires on its own.
#[test]
fn nothing_is_lost_by_a_delete_or_a_redeploy() {
    let template = template();
    for name in ["UserPool", "ProfileTable"] {
        let resource = &template["Resources"][name];
        assert_eq!(resource["DeletionPolicy"], "Retain", "{name}");
        assert_eq!(resource["UpdateReplacePolicy"], "Retain", "{name}");
    }
    assert_eq!(default(&template, "DeletionProtection"), "ACTIVE");
    let table = &template["Resources"]["ProfileTable"]["Properties"];
    assert_eq!(table["DeletionProtectionEnabled"], true);
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], "expires");
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true);
    // A redeploy keeps the managed login's domain.
    let deploy =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/deploy.sh"))
            .unwrap();
    assert!(
        deploy.contains("ParameterKey=='DomainPrefix'"),
        "deploy.sh reads the deployed prefix"
    );
}

/// The routes a script would aim at (a password guess, a flood of
/// accounts or emails) have their own, stricter limits.
#[test]
fn sign_in_and_sign_up_routes_are_throttled_harder_than_the_rest() {
    let template = template();
    let api = &template["Resources"]["LoginApi"]["Properties"];
    let number = |parameter: &str| default(&template, parameter).as_u64().unwrap();
    assert!(number("SignInRateLimit") < number("ThrottlingRateLimit"));
    assert!(number("SignUpRateLimit") < number("SignInRateLimit"));
    let settings = api["RouteSettings"].as_mapping().unwrap();
    for (route, limit) in [
        ("/signin", "SignInRateLimit"),
        ("/challenge", "SignInRateLimit"),
        ("/signup", "SignUpRateLimit"),
        ("/confirm", "SignUpRateLimit"),
        ("/resend", "SignUpRateLimit"),
        ("/forgot", "SignUpRateLimit"),
        ("/reset", "SignUpRateLimit"),
    ] {
        let setting = &settings[&Value::from(format!("POST {route}"))];
        assert_eq!(setting["ThrottlingRateLimit"]["Ref"], limit, "{route}");
        assert_eq!(setting["ThrottlingBurstLimit"]["Ref"], limit, "{route}");
    }
    assert_eq!(
        api["DefaultRouteSettings"]["ThrottlingRateLimit"]["Ref"],
        "ThrottlingRateLimit"
    );
}

/// Each client address is limited on the routes a script aims at (the
/// same routes as the stricter throttles), by default, counted in a table
/// shaped as `DynamoCounter` writes it.
#[test]
fn each_address_is_limited_on_the_routes_a_script_aims_at() {
    use cognito_login_backend::limit::LimitKind;
    let template = template();
    assert!(default(&template, "SignInPerAddress").as_u64().unwrap() > 0);
    assert!(default(&template, "SignUpPerAddress").as_u64().unwrap() > 0);
    let variables = &function(&template)["Environment"]["Variables"];
    assert_eq!(variables["ADDRESS_LIMIT_TABLE"]["Ref"], "AddressLimitTable");
    assert_eq!(variables["SIGN_IN_PER_ADDRESS"]["Ref"], "SignInPerAddress");
    assert_eq!(variables["SIGN_UP_PER_ADDRESS"]["Ref"], "SignUpPerAddress");
    let table = &template["Resources"]["AddressLimitTable"]["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"], "key");
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], "expires");
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");

    let settings = template["Resources"]["LoginApi"]["Properties"]["RouteSettings"]
        .as_mapping()
        .unwrap();
    for action in AuthAction::ALL {
        let key = Value::from(format!("POST {}", action.default_route()));
        let stricter = settings
            .get(&key)
            .and_then(|setting| setting["ThrottlingRateLimit"]["Ref"].as_str());
        let expected = match LimitKind::of(action) {
            Some(LimitKind::SignIn) => Some("SignInRateLimit"),
            Some(LimitKind::SignUp) => Some("SignUpRateLimit"),
            None => None,
        };
        assert_eq!(stricter, expected, "{}", action.default_route());
    }
}

/// Alarms watch the function, the API and Cognito's throttling, and reach
/// an address when one is given.
#[test]
fn alarms_watch_the_function_the_api_and_cognitos_quotas() {
    let template = template();
    let alarms: Vec<(&Value, &Value)> = template["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|resource| resource["Type"] == "AWS::CloudWatch::Alarm")
        .map(|alarm| {
            (
                &alarm["Properties"]["Namespace"],
                &alarm["Properties"]["MetricName"],
            )
        })
        .collect();
    for (namespace, metric) in [
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/ApiGateway", "5xx"),
        ("AWS/Cognito", "SignInThrottles"),
        ("AWS/Cognito", "TokenRefreshThrottles"),
        ("AWS/Cognito", "SignUpThrottles"),
    ] {
        assert!(
            alarms.contains(&(&namespace.into(), &metric.into())),
            "no alarm on {namespace} {metric}"
        );
    }
    for alarm in template["Resources"].as_mapping().unwrap().values() {
        if alarm["Type"] == "AWS::CloudWatch::Alarm" {
            let actions = &alarm["Properties"]["AlarmActions"]["Fn::If"];
            assert_eq!(actions[0], "HasAlarmEmail");
            assert_eq!(actions[1][0]["Ref"], "Alarms");
        }
    }
    assert_eq!(template["Resources"]["Alarms"]["Type"], "AWS::SNS::Topic");
}

#[test]
fn the_browsers_sso_session_can_be_kept_short_for_the_game_client() {
    let template = template();
    assert_eq!(default(&template, "BrowserSessionReuseMinutes"), "");
    let resources = &template["Resources"];
    let tracking = &resources["SessionTracking"];
    let client = &resources["GameClientSession"];
    for resource in [tracking, client] {
        assert_eq!(resource["Condition"], "LimitsBrowserSession");
    }
    assert_eq!(
        tracking["Type"],
        "AWS::Cognito::UserPoolSessionConfigurationAttachment"
    );
    assert_eq!(tracking["Properties"]["UserSessionTracking"], "ENABLED");
    assert_eq!(
        client["Type"],
        "AWS::Cognito::UserPoolClientSessionConfigurationAttachment"
    );
    assert_eq!(client["DependsOn"], "SessionTracking");
    assert_eq!(client["Properties"]["ClientId"]["Ref"], "GameClient");
    assert_eq!(
        client["Properties"]["SSOSession"]["MaxValidityMinutes"]["Ref"],
        "BrowserSessionReuseMinutes"
    );
    assert_eq!(
        template["Conditions"]["LimitsBrowserSession"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"],
        "BrowserSessionReuseMinutes"
    );
}

/// The triggers are wired only when a parameter asks for what they do (off
/// by default: a live game confirms by code, and profiles start empty), to
/// a function of the same build in trigger mode, which Cognito alone may
/// invoke, for this pool, allowed only to write a profile; the function
/// reads its settings where `TriggerConfig::from_env` looks.
#[test]
fn the_triggers_are_wired_when_asked_for() {
    let template = template();
    assert_eq!(default(&template, "AutoConfirm"), "false");
    assert_eq!(default(&template, "AllowedEmailDomains"), "");
    assert_eq!(default(&template, "InitialProfile"), "");
    assert_eq!(default(&template, "GameClaims"), "DISABLED");
    let condition = &template["Conditions"]["HasTriggers"]["Fn::Or"];
    assert_eq!(condition[3]["Condition"], "HasGameClaims");
    assert_eq!(condition[4]["Condition"], "HasTranslatedEmails");
    assert_eq!(default(&template, "TranslatedEmails"), "DISABLED");
    assert_eq!(
        template["Conditions"]["HasTranslatedEmails"]["Fn::Equals"][0]["Ref"],
        "TranslatedEmails"
    );
    assert_eq!(
        template["Conditions"]["HasGameClaims"]["Fn::Equals"][0]["Ref"],
        "GameClaims"
    );
    assert_eq!(condition[0]["Fn::Equals"][0]["Ref"], "AutoConfirm");
    for (at, parameter) in [(1, "AllowedEmailDomains"), (2, "InitialProfile")] {
        assert_eq!(
            condition[at]["Fn::Not"][0]["Fn::Equals"][0]["Ref"],
            parameter
        );
    }
    let wiring = &pool(&template)["LambdaConfig"]["Fn::If"];
    assert_eq!(wiring[0], "HasTriggers");
    for trigger in ["PreSignUp", "PostConfirmation"] {
        assert_eq!(wiring[1][trigger]["Fn::GetAtt"][0], "TriggerFunction");
    }
    assert_eq!(wiring[2]["Ref"], "AWS::NoValue");
    let messages = &wiring[1]["CustomMessage"]["Fn::If"];
    assert_eq!(messages[0], "HasTranslatedEmails");
    assert_eq!(messages[1]["Fn::GetAtt"][0], "TriggerFunction");
    // The token trigger: version 2 (both tokens) where the tier allows.
    let tokens = &wiring[1]["PreTokenGenerationConfig"]["Fn::If"];
    assert_eq!(tokens[0], "HasGameClaims");
    assert_eq!(tokens[1]["LambdaArn"]["Fn::GetAtt"][0], "TriggerFunction");
    assert_eq!(
        tokens[1]["LambdaVersion"]["Fn::If"],
        serde_yaml::from_str::<Value>("[LiteTier, V1_0, V2_0]").unwrap()
    );
    assert_eq!(
        template["Conditions"]["LiteTier"]["Fn::Equals"][0]["Ref"],
        "UserPoolTier"
    );
    assert_eq!(
        template["Resources"]["SuspendedGroup"]["Properties"]["GroupName"],
        cognito_login_backend::triggers::SUSPENDED_GROUP
    );

    let resources = &template["Resources"];
    let function = &resources["TriggerFunction"];
    assert_eq!(function["Condition"], "HasTriggers");
    let properties = &function["Properties"];
    assert_eq!(
        properties["CodeUri"], resources["LoginFunction"]["Properties"]["CodeUri"],
        "the same build"
    );
    let statements = properties["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap();
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0]["Action"].as_sequence().unwrap(),
        &[Value::from("dynamodb:PutItem")],
        "a new player's profile, nothing else"
    );
    assert_eq!(statements[0]["Resource"]["Fn::GetAtt"][0], "ProfileTable");
    let variables = &properties["Environment"]["Variables"];
    assert_eq!(variables["COGNITO_LOGIN_TRIGGERS"], "1");
    assert_eq!(variables["AUTO_CONFIRM"]["Ref"], "AutoConfirm");
    assert_eq!(
        variables["ALLOWED_EMAIL_DOMAINS"]["Ref"],
        "AllowedEmailDomains"
    );
    assert_eq!(variables["INITIAL_PROFILE"]["Ref"], "InitialProfile");
    assert_eq!(variables["GAME_CLAIMS"]["Fn::If"][0], "HasGameClaims");
    assert_eq!(
        variables["TRANSLATED_EMAILS"]["Fn::If"][0],
        "HasTranslatedEmails"
    );
    assert_eq!(variables["PROFILE_TABLE"]["Ref"], "ProfileTable");
    let permission = &resources["TriggerPermission"]["Properties"];
    assert_eq!(permission["Principal"], "cognito-idp.amazonaws.com");
    assert_eq!(permission["SourceArn"]["Fn::GetAtt"][0], "UserPool");
    assert_eq!(
        permission["FunctionName"]["Fn::GetAtt"][0],
        "TriggerFunction"
    );
    // The binary reads exactly these.
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/triggers.rs")).unwrap();
    for name in [
        "AUTO_CONFIRM",
        "ALLOWED_EMAIL_DOMAINS",
        "INITIAL_PROFILE",
        "GAME_CLAIMS",
        "TRANSLATED_EMAILS",
    ] {
        assert!(source.contains(&format!("\"{name}\"")), "{name}");
    }
    let binary =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/bin/lambda.rs")).unwrap();
    assert!(binary.contains("\"COGNITO_LOGIN_TRIGGERS\""));
}

/// The identity pool takes this pool's game client, its tokens checked on
/// the server side; guests only when asked for; each role is assumable
/// only through this identity pool, by its own kind of identity, and
/// reaches only the caller's own rows of the player table.
#[test]
fn the_identity_pool_gives_each_player_their_own_rows_only() {
    let template = template();
    let resources = &template["Resources"];
    assert_eq!(default(&template, "GuestAccess"), "DISABLED");
    let pool = &resources["IdentityPool"]["Properties"];
    assert_eq!(
        pool["AllowUnauthenticatedIdentities"]["Fn::If"],
        serde_yaml::from_str::<Value>("[HasGuests, true, false]").unwrap()
    );
    assert_eq!(pool["AllowClassicFlow"], false);
    let provider = &pool["CognitoIdentityProviders"][0];
    assert_eq!(provider["ClientId"]["Ref"], "GameClient");
    assert_eq!(
        provider["ProviderName"]["Fn::GetAtt"],
        serde_yaml::from_str::<Value>("[UserPool, ProviderName]").unwrap()
    );
    assert_eq!(provider["ServerSideTokenCheck"], true);

    for (role, amr) in [
        ("PlayerRole", "authenticated"),
        ("GuestRole", "unauthenticated"),
    ] {
        let properties = &resources[role]["Properties"];
        let trust = &properties["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(
            trust["Principal"]["Federated"],
            "cognito-identity.amazonaws.com"
        );
        assert_eq!(trust["Action"], "sts:AssumeRoleWithWebIdentity");
        assert_eq!(
            trust["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"]["Ref"],
            "IdentityPool",
            "{role}: this identity pool only"
        );
        assert_eq!(
            trust["Condition"]["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"], amr,
            "{role}"
        );
        let statements = properties["Policies"][0]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap();
        assert_eq!(statements.len(), 1, "{role}");
        let statement = &statements[0];
        assert_eq!(statement["Resource"]["Fn::GetAtt"][0], "PlayerDataTable");
        assert_eq!(
            statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"],
            serde_yaml::from_str::<Value>(r#"["${cognito-identity.amazonaws.com:sub}"]"#).unwrap(),
            "{role}: the caller's own rows"
        );
        for action in statement["Action"].as_sequence().unwrap() {
            let action = action.as_str().unwrap();
            assert!(
                !action.contains('*') && !action.ends_with("Scan"),
                "{role}: {action} reaches past the caller's rows"
            );
        }
    }
    assert_eq!(resources["GuestRole"]["Condition"], "HasGuests");
    let roles = &resources["IdentityPoolRoles"]["Properties"];
    assert_eq!(roles["IdentityPoolId"]["Ref"], "IdentityPool");
    assert_eq!(
        roles["Roles"]["authenticated"]["Fn::GetAtt"][0],
        "PlayerRole"
    );
    assert_eq!(roles["Roles"]["unauthenticated"]["Fn::If"][0], "HasGuests");
    let table = &resources["PlayerDataTable"];
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(
        table["Properties"]["KeySchema"][0]["AttributeName"],
        "identity"
    );
    assert_eq!(
        template["Outputs"]["IdentityPoolId"]["Value"]["Ref"],
        "IdentityPool"
    );
}
