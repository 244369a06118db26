//! Lua scripts run by SHA1: what `SCRIPT LOAD` returns and the `EVALSHA`
//! command, shared by a connection and a cluster.

use redwire_resp::Frame;

use crate::error::Error;

/// The SHA1 in a `SCRIPT LOAD` reply.
pub(crate) fn loaded_sha(reply: &Frame) -> Result<String, Error> {
    reply
        .as_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .ok_or_else(|| Error::UnexpectedReply {
            command: "SCRIPT LOAD",
            reason: format!("{}, not a SHA1", reply.type_name()),
        })
}

/// `EVALSHA sha numkeys key… arg…`.
pub(crate) fn evalsha<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    sha: &str,
    keys: &[K],
    args: &[V],
) -> Vec<Vec<u8>> {
    let mut command = vec![
        b"EVALSHA".to_vec(),
        sha.as_bytes().to_vec(),
        keys.len().to_string().into_bytes(),
    ];
    command.extend(keys.iter().map(|k| k.as_ref().to_vec()));
    command.extend(args.iter().map(|a| a.as_ref().to_vec()));
    command
}

/// Whether `result` says the server does not have the script.
pub(crate) fn is_noscript(result: &Result<Frame, Error>) -> bool {
    matches!(result, Err(Error::Server(e)) if e.code() == "NOSCRIPT")
}

/// A Lua script, known by the SHA1 of its source (computed here, as the
/// server computes it): run with `EVALSHA`, loaded only when a server does
/// not have it yet. See `Script::invoke`.
///
/// ```
/// use redwire::Script;
///
/// let script = Script::new("return redis.call('GET', KEYS[1])");
/// assert_eq!(script.sha(), "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    source: std::sync::Arc<str>,
    sha: String,
}

impl Script {
    /// The script of `source`.
    pub fn new(source: &str) -> Self {
        Self {
            sha: sha1_smol::Sha1::from(source).digest().to_string(),
            source: source.into(),
        }
    }

    /// Its SHA1, in lower-case hex.
    pub fn sha(&self) -> &str {
        &self.sha
    }

    /// Its source.
    pub fn source(&self) -> &str {
        &self.source
    }
}
