//! What the client knows of commands: what each does to its connection
//! ([`Effects`]), where a cluster sends it (`route`), which are refused
//! before sending (`policy`), what a cache keeps of them (`cacheable`),
//! pipelines of them, scripts, key slots.

pub(crate) mod cacheable;
mod effects;
pub(crate) mod pipeline;
pub(crate) mod policy;
pub(crate) mod route;
pub(crate) mod script;
pub(crate) mod slot;

pub use effects::Effects;
pub(crate) use effects::{ReplyMode, Subscription};

/// `word` in lower case in `buffer`, without allocating; `None` when it is
/// longer than the buffer (longer than any command name asked about).
fn lowercase<'a>(word: &[u8], buffer: &'a mut [u8]) -> Option<&'a [u8]> {
    let lower = buffer.get_mut(..word.len())?;
    lower.copy_from_slice(word);
    lower.make_ascii_lowercase();
    Some(lower)
}
