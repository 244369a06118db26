#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! `REDIS_CLIENT_POOL_SIZE` sizes pools given no size; a bad value is an
//! error. (Its own test binary: it changes the process environment.)

use redwire::{Connector, PoolConfig, PoolError};

#[test]
fn the_environment_sizes_pools_and_a_bad_value_is_an_error() {
    std::env::remove_var("REDIS_CLIENT_POOL_SIZE");
    assert_eq!(PoolConfig::default().size::<redwire::Error>().unwrap(), 20);
    std::env::set_var("REDIS_CLIENT_POOL_SIZE", "7");
    assert_eq!(PoolConfig::default().size::<redwire::Error>().unwrap(), 7);
    assert_eq!(
        PoolConfig::default()
            .max_size(3)
            .size::<redwire::Error>()
            .unwrap(),
        3
    );
    for bad in ["lots", "-1", "0", ""] {
        std::env::set_var("REDIS_CLIENT_POOL_SIZE", bad);
        let err = Connector::default()
            .pool(PoolConfig::default())
            .unwrap_err();
        assert!(matches!(err, PoolError::Size(_)), "{bad}: {err}");
        assert!(err.to_string().starts_with("invalid pool size"), "{err}");
    }
    std::env::remove_var("REDIS_CLIENT_POOL_SIZE");
}
