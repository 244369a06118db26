//! The commands a new connection sends before any of its caller's: `HELLO 3`
//! (with `AUTH` and `SETNAME`) or `AUTH` and `CLIENT SETNAME`, then
//! `READONLY`, `CLIENT TRACKING ON` and `SELECT`, as its configuration asks.

use crate::config::{Config, Protocol};
use crate::error::Phase;

/// The handshake commands of `config`, each with the phase it belongs to,
/// in the order they are sent. They hold the password: the caller wipes
/// their encoding once written.
pub(super) fn steps(config: &Config) -> Vec<(Phase, Vec<String>)> {
    let mut steps = Vec::new();
    let auth = config.password.as_ref().map(|password| {
        let mut args = Vec::new();
        // `AUTH user pass`, or `AUTH pass` for the default user.
        if let Some(user) = config.username.as_deref().filter(|u| *u != "default") {
            args.push(user.to_owned());
        }
        args.push(password.expose().to_owned());
        args
    });
    let name = config.client_name.as_ref().filter(|_| !config.proxy);
    if config.protocol == Protocol::Resp3 {
        let mut hello = vec!["HELLO".to_owned(), "3".to_owned()];
        if let Some(auth) = &auth {
            hello.push("AUTH".to_owned());
            if auth.len() == 1 {
                hello.push("default".to_owned());
            }
            hello.extend(auth.iter().cloned());
        }
        if let Some(name) = name {
            hello.extend(["SETNAME".to_owned(), name.clone()]);
        }
        let phase = if auth.is_some() {
            Phase::Auth
        } else {
            Phase::Handshake
        };
        steps.push((phase, hello));
    } else {
        if let Some(auth) = auth {
            steps.push((Phase::Auth, [vec!["AUTH".to_owned()], auth].concat()));
        }
        if let Some(name) = name {
            steps.push((
                Phase::Handshake,
                vec!["CLIENT".to_owned(), "SETNAME".to_owned(), name.clone()],
            ));
        }
    }
    if config.readonly {
        steps.push((Phase::Handshake, vec!["READONLY".to_owned()]));
    }
    if let Some(tracking) = &config.tracking {
        steps.push((Phase::Tracking, tracking.command()));
    }
    if config.db != 0 && !config.proxy {
        steps.push((
            Phase::Select,
            vec!["SELECT".to_owned(), config.db.to_string()],
        ));
    }
    steps
}
