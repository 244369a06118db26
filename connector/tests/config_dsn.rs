#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Every accepted configuration form, and every validation message.

use std::path::PathBuf;
use std::time::Duration;

use redwire::{
    Config, ConfigError, Endpoint, Keepalive, Protocol, Role, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE, DEFAULT_PEER_TIMEOUT, DEFAULT_USER_TIMEOUT,
};

fn parse(text: &str) -> Config {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn error(text: &str) -> String {
    match text.parse::<Config>() {
        Ok(config) => panic!("{text} parsed as {config:?}"),
        Err(e) => e.to_string(),
    }
}

fn tcp(host: &str, port: u16) -> Endpoint {
    Endpoint::Tcp {
        host: host.into(),
        port,
    }
}

#[test]
fn nothing_is_localhost_6379_db_0() {
    for config in [parse(""), Config::default()] {
        assert_eq!(config.endpoint(), &tcp("127.0.0.1", 6379));
        assert_eq!(config.get_db(), 0);
        assert_eq!(
            config.timeouts(),
            (Some(DEFAULT_CONNECT_TIMEOUT), None, None)
        );
        assert!(config.get_password().is_none() && config.get_tls().is_none());
    }
}

#[test]
fn host_port_and_db_strings() {
    assert_eq!(parse("cache:7000").endpoint(), &tcp("cache", 7000));
    let config = parse("10.1.2.3:6380/13");
    assert_eq!(
        (config.endpoint(), config.get_db()),
        (&tcp("10.1.2.3", 6380), 13)
    );
    assert_eq!(parse("cache").endpoint(), &tcp("cache", 6379));
    assert_eq!(parse("[::1]:6390").endpoint(), &tcp("::1", 6390));
}

#[test]
fn redis_and_rediss_urls() {
    let config = parse("redis://app:s3cret@cache.internal:6380/2");
    assert_eq!(config.endpoint(), &tcp("cache.internal", 6380));
    assert_eq!(config.get_db(), 2);
    assert_eq!(config.get_username(), Some("app"));
    assert_eq!(config.get_password().unwrap().expose(), "s3cret");
    assert!(config.get_tls().is_none());

    let tls = parse("rediss://[::1]/1?ca_file=/etc/ca.pem&server_name=redis.test&client_cert=/c.pem&client_key=/k.pem");
    let options = tls.get_tls().unwrap();
    assert_eq!(options.ca_file, Some(PathBuf::from("/etc/ca.pem")));
    assert_eq!(options.server_name.as_deref(), Some("redis.test"));
    assert_eq!(options.client_cert, Some(PathBuf::from("/c.pem")));
    assert_eq!(options.client_key, Some(PathBuf::from("/k.pem")));
    assert!(!options.insecure);
    assert!(
        parse("rediss://h?insecure=true")
            .get_tls()
            .unwrap()
            .insecure
    );
    assert_eq!(parse("REDIS://h").endpoint(), &tcp("h", 6379));
}

#[test]
fn the_three_password_forms_each_have_one_meaning() {
    // user:pass → AUTH user pass
    let both = parse("redis://u:p@h");
    assert_eq!(
        (both.get_username(), both.get_password().unwrap().expose()),
        (Some("u"), "p")
    );
    // :pass → AUTH pass
    let colon = parse("redis://:p@h");
    assert_eq!(
        (colon.get_username(), colon.get_password().unwrap().expose()),
        (None, "p")
    );
    // pass (no colon) → AUTH pass, as lua-resty-redis-connector reads it
    let bare = parse("redis://p@h");
    assert_eq!(
        (bare.get_username(), bare.get_password().unwrap().expose()),
        (None, "p")
    );
    // user: (empty password) → an error naming the password
    assert_eq!(
        error("redis://u:@h"),
        r#"invalid password: must be a non-empty string, got """#
    );
}

#[test]
fn credentials_are_percent_decoded_and_may_hold_at_signs() {
    let config = parse("redis://my%20user:p%40ss%3Aword@h:1");
    assert_eq!(config.get_username(), Some("my user"));
    assert_eq!(config.get_password().unwrap().expose(), "p@ss:word");
    let unescaped = parse("redis://:p@ss@h:1");
    assert_eq!(unescaped.get_password().unwrap().expose(), "p@ss");
    assert_eq!(unescaped.endpoint(), &tcp("h", 1));
    assert_eq!(
        error("redis://:%zz@h"),
        "invalid DSN password: a % not followed by two hex digits"
    );
}

#[test]
fn unix_sockets_as_urls_and_bare_paths() {
    let config = parse("unix:///run/redis/redis.sock?db=3");
    assert_eq!(
        config.endpoint(),
        &Endpoint::Unix("/run/redis/redis.sock".into())
    );
    assert_eq!(config.get_db(), 3);
    assert_eq!(
        parse("/tmp/r.sock").endpoint(),
        &Endpoint::Unix("/tmp/r.sock".into())
    );
    assert_eq!(
        parse("./r.sock").endpoint(),
        &Endpoint::Unix("./r.sock".into())
    );
    let authed = parse("unix://:pw@/tmp/r.sock");
    assert_eq!(authed.get_password().unwrap().expose(), "pw");
    assert_eq!(authed.endpoint(), &Endpoint::Unix("/tmp/r.sock".into()));
    assert_eq!(
        error("unix://relative.sock"),
        r#"invalid DSN path: unix socket path "relative.sock" is not absolute"#
    );
}

#[test]
fn sentinel_urls_with_roles_sentinels_and_their_credentials() {
    let config = parse(
        "sentinel://app:pw@mymaster:m/4?sentinels=127.0.0.1:26379,[::1]:26380&sentinel_username=watch&sentinel_password=spw",
    );
    let Endpoint::Sentinel(sentinel) = config.endpoint() else {
        panic!("a sentinel endpoint")
    };
    assert_eq!(sentinel.master_name, "mymaster");
    assert_eq!(sentinel.role, Role::Master);
    assert_eq!(
        sentinel.sentinels,
        vec![("127.0.0.1".to_owned(), 26379), ("::1".to_owned(), 26380)]
    );
    assert_eq!(sentinel.username.as_deref(), Some("watch"));
    assert_eq!(sentinel.password.as_ref().unwrap().expose(), "spw");
    assert_eq!((config.get_username(), config.get_db()), (Some("app"), 4));
    for (role, expected) in [("s", Role::Replica), ("a", Role::Any)] {
        let Endpoint::Sentinel(s) = parse(&format!("sentinel://m:{role}")).endpoint().clone()
        else {
            panic!("a sentinel endpoint")
        };
        assert_eq!(s.role, expected);
    }
    assert_eq!(
        error("sentinel://mymaster:x"),
        r#"invalid role: must be m (master), s (replica) or a (any), got "x""#
    );
    assert_eq!(
        error("sentinel://mymaster"),
        r#"invalid DSN master: "mymaster" is not master_name:role (role m, s or a)"#
    );
}

#[test]
fn query_parameters_set_timeouts_protocol_and_policy() {
    let config = parse(
        "redis://h?connect_timeout=250&send_timeout=1000&read_timeout=1500&protocol=3&client_name=web&proxy=true&disabled_commands=flushall,keys&bind=127.0.0.2",
    );
    assert_eq!(
        config.timeouts(),
        (
            Some(Duration::from_millis(250)),
            Some(Duration::from_secs(1)),
            Some(Duration::from_millis(1500))
        )
    );
    assert_eq!(config.get_protocol(), Protocol::Resp3);
    assert_eq!(config.get_client_name(), Some("web"));
    assert!(config.is_proxy());
    assert_eq!(config.get_disabled_commands(), ["FLUSHALL", "KEYS"]);
    assert_eq!(config.get_bind(), Some("127.0.0.2".parse().unwrap()));
}

#[test]
fn dead_peer_detection_is_on_by_default_and_set_by_query_parameters() {
    let config = parse("redis://h");
    assert_eq!(config.get_keepalive(), Some(DEFAULT_KEEPALIVE));
    assert_eq!(config.get_user_timeout(), Some(DEFAULT_USER_TIMEOUT));
    assert_eq!(config.get_peer_timeout(), Some(DEFAULT_PEER_TIMEOUT));
    let config = parse("redis://h?keepalive=10000,2000,4&user_timeout=9000&peer_timeout=500");
    assert_eq!(
        config.get_keepalive(),
        Some(Keepalive {
            idle: Duration::from_secs(10),
            interval: Duration::from_secs(2),
            count: 4
        })
    );
    assert_eq!(config.get_user_timeout(), Some(Duration::from_secs(9)));
    assert_eq!(config.get_peer_timeout(), Some(Duration::from_millis(500)));
    let off = parse("redis://h?keepalive=0&user_timeout=0&peer_timeout=0");
    assert_eq!(
        (
            off.get_keepalive(),
            off.get_user_timeout(),
            off.get_peer_timeout()
        ),
        (None, None, None)
    );
    for bad in [
        "keepalive=1000,2000",
        "keepalive=1000,0,3",
        "keepalive=a,b,c",
    ] {
        let message = error(&format!("redis://h?{bad}"));
        assert!(
            message.contains("keepalive") && message.contains("15000,5000,3"),
            "{message}"
        );
    }
    assert!(error("redis://h?peer_timeout=-1").contains("peer_timeout"));
    // Whole seconds, as the socket takes them.
    let message = error("redis://h?keepalive=500,5000,3");
    assert!(
        message.contains("keepalive idle") && message.contains("at least 1 s"),
        "{message}"
    );
    assert!(Config::default()
        .keepalive(Some(Keepalive {
            count: 0,
            ..DEFAULT_KEEPALIVE
        }))
        .unwrap_err()
        .to_string()
        .contains("keepalive count"));
}

#[test]
fn every_validation_message_names_the_field_and_the_rule() {
    let cases = [
        (
            "redis://:6379",
            r#"invalid host: must be a non-empty string, got """#,
        ),
        (
            "redis://h:0",
            r#"invalid port: must be an integer 1..65535, got "0""#,
        ),
        (
            "redis://h:70000",
            r#"invalid port: must be an integer 1..65535, got "70000""#,
        ),
        (
            "redis://h:abc",
            r#"invalid port: must be an integer 1..65535, got "abc""#,
        ),
        (
            "h:1/-1",
            r#"invalid db: must be a non-negative integer, got "-1""#,
        ),
        (
            "h:1/x",
            r#"invalid db: must be a non-negative integer, got "x""#,
        ),
        (
            "redis://h?connect_timeout=0",
            r#"invalid connect_timeout: must be a positive number of milliseconds, got "0""#,
        ),
        (
            "redis://h?read_timeout=-5",
            r#"invalid read_timeout: must be a positive number of milliseconds, got "-5""#,
        ),
        (
            "redis://h?protocol=4",
            r#"invalid protocol: must be 2 or 3, got "4""#,
        ),
        (
            "redis://h?proxy=maybe",
            r#"invalid proxy: must be true or false, got "maybe""#,
        ),
        (
            "redis://h?bind=nowhere",
            r#"invalid bind: must be an IP address, got "nowhere""#,
        ),
        (
            "redis://h?color=red",
            r#"invalid DSN query parameter: unknown parameter "color""#,
        ),
        (
            "redis://h?ca_file=/x",
            "invalid DSN query parameter: ca_file needs a rediss:// DSN",
        ),
        (
            "redis://h?sentinels=a:1",
            "invalid DSN query parameter: sentinels needs a sentinel:// DSN",
        ),
        (
            "http://h",
            r#"invalid DSN scheme: unknown scheme "http", expected redis, rediss, unix, sentinel, redis+cluster or rediss+cluster"#,
        ),
        (
            "redis+cluster://a:1,:2",
            r#"invalid host: must be a non-empty string, got """#,
        ),
        (
            "redis+cluster://a:1/3",
            r#"invalid db: must be 0 (a cluster serves only db 0), got "3""#,
        ),
        ("redis://[::1", r#"invalid DSN host: unclosed [ in "[::1""#),
        (
            "sentinel://:m",
            r#"invalid master_name: must be a non-empty string, got """#,
        ),
        (
            "sentinel://m:m?sentinel_password=",
            r#"invalid sentinel_password: must be a non-empty string, got """#,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(error(input), expected, "{input}");
    }
    assert_eq!(
        Config::default().tcp("", 1).unwrap_err().to_string(),
        r#"invalid host: must be a non-empty string, got """#
    );
    assert!(matches!(
        Config::default().user("", "pw"),
        Err(ConfigError::Invalid {
            field: "username",
            ..
        })
    ));
    assert!(Config::default().connect_timeout(Duration::ZERO).is_err());
}

#[test]
fn setters_override_what_the_dsn_said() {
    let config = parse("redis://:old@h:1/2?read_timeout=100")
        .db(5)
        .password("new")
        .unwrap();
    let config = config.read_timeout(Duration::from_secs(9)).unwrap();
    assert_eq!(config.get_db(), 5);
    assert_eq!(config.get_password().unwrap().expose(), "new");
    assert_eq!(config.timeouts().2, Some(Duration::from_secs(9)));
}

#[test]
fn passwords_never_show_in_debug_display_or_errors() {
    let config = parse("sentinel://u:hunter2@m:m?sentinel_password=swordfish");
    let config2 = parse("rediss://:hunter2@h");
    for text in [
        format!("{config:?}"),
        config.to_string(),
        format!("{config2:?}"),
        config2.to_string(),
        format!("{:?}", "redis://u:@h".parse::<Config>()),
    ] {
        assert!(
            !text.contains("hunter2") && !text.contains("swordfish"),
            "{text}"
        );
    }
    assert_eq!(config2.to_string(), "rediss://:***@h:6379/0");
    assert_eq!(config.to_string(), "sentinel://u:***@m:m/0");
}

#[test]
fn ambiguous_dsns_are_refused_without_echoing_secrets() {
    assert_eq!(
        error("redis://::1"),
        r#"invalid DSN host: "::1" looks like an IPv6 address: write it in brackets, e.g. [::1]:6379"#
    );
    for dsn in [
        "redis://app:s3cr/et@cache",
        "redis://app:1234/x@cache",
        "redis://app:pa?ss@cache",
    ] {
        let text = error(dsn);
        assert_eq!(
            text,
            "invalid DSN userinfo: an @ after the host: percent-encode /, ? and @ in the user and password"
        );
    }
    // An @ in a query value is not userinfo.
    assert_eq!(
        parse("redis://h?client_name=a@b").get_client_name(),
        Some("a@b")
    );
}

#[test]
fn a_password_alone_authenticates_as_the_default_user() {
    let config = parse("redis://app:pw@h").password("other").unwrap();
    assert_eq!(config.get_username(), None);
    assert_eq!(config.get_password().unwrap().expose(), "other");
}
