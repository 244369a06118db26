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
