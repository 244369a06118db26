//! Redis replies as Lua values, and Lua arguments as command arguments.
//!
//! | reply | Lua |
//! |---|---|
//! | simple, bulk, verbatim string | string |
//! | integer, double | number (a big number: its digits, a string) |
//! | boolean | boolean |
//! | array, set, push | table (1-based) |
//! | map | table keyed by field |
//! | null | `nil, "not found"` at the top; `redis.null` inside a table |
//! | error | `nil, message` at the top; `{ err = message }` inside a table |
//! | attributed value | the value (attributes dropped) |

use mlua::{LightUserData, Lua, MultiValue, Result, Value};
use redwire::{Arg, Args, Frame};

/// The reply to the command `name` (upper case, as both callers have it),
/// read on RESP3, in the shape RESP2
/// gives it: what a client that speaks RESP2 shows does not change when
/// its reads go through a cache (whose connection speaks RESP3). Besides
/// the shapes of [`resp2_shape`], the replies whose RESP3 shape depends on
/// the command: pairs (`ZRANGE … WITHSCORES`, `HRANDFIELD … WITHVALUES`,
/// `ZPOPMIN` with a count, …) are flat again, `XREAD`'s map is a list of
/// `[stream, entries]`, and a script's `false` is a null, its `true` 1.
pub(crate) fn as_resp2(name: &[u8], frame: Frame) -> Frame {
    match (name, frame) {
        (
            b"ZRANGE" | b"ZRANGEBYSCORE" | b"ZREVRANGE" | b"ZREVRANGEBYSCORE" | b"ZUNION"
            | b"ZINTER" | b"ZDIFF" | b"ZRANDMEMBER" | b"ZPOPMIN" | b"ZPOPMAX" | b"HRANDFIELD",
            Frame::Array(items),
        ) if !items.is_empty()
            && items
                .iter()
                .all(|item| matches!(item, Frame::Array(pair) if pair.len() == 2)) =>
        {
            Frame::Array(
                items
                    .into_iter()
                    .flat_map(|pair| match pair {
                        Frame::Array(pair) => pair.into_iter().map(resp2_shape).collect(),
                        other => vec![resp2_shape(other)],
                    })
                    .collect(),
            )
        }
        (b"XREAD" | b"XREADGROUP", Frame::Map(streams)) => Frame::Array(
            streams
                .into_iter()
                .map(|(name, entries)| Frame::Array(vec![resp2_shape(name), resp2_shape(entries)]))
                .collect(),
        ),
        (b"EVAL" | b"EVALSHA" | b"EVAL_RO" | b"EVALSHA_RO" | b"FCALL" | b"FCALL_RO", frame) => {
            script_shape(frame)
        }
        (name, frame) if name.starts_with(b"GEO") => geo_shape(frame),
        (_, frame) => resp2_shape(frame),
    }
}

/// A script's reply in RESP2's shape: Lua's `false` is a null, `true` 1,
/// at any depth.
fn script_shape(frame: Frame) -> Frame {
    match frame {
        Frame::Boolean(false) => Frame::NullBulk,
        Frame::Array(items) | Frame::Set(items) => {
            Frame::Array(items.into_iter().map(script_shape).collect())
        }
        Frame::Map(pairs) => Frame::Array(
            pairs
                .into_iter()
                .flat_map(|(field, value)| [script_shape(field), script_shape(value)])
                .collect(),
        ),
        Frame::Attributed(attributed) => script_shape(attributed.frame),
        other => resp2_shape(other),
    }
}

/// A GEO reply in RESP2's shape: coordinates as Redis writes them (17
/// decimals, trailing zeros cut), the rest as [`resp2_shape`].
fn geo_shape(frame: Frame) -> Frame {
    match frame {
        Frame::Double(n) if n.is_finite() => {
            let text = format!("{n:.17}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            Frame::BulkString(text.to_owned().into())
        }
        Frame::Array(items) => Frame::Array(items.into_iter().map(geo_shape).collect()),
        other => resp2_shape(other),
    }
}

/// `frame` in the shape RESP2 gives it, whatever the command: a map as
/// its fields and values in turn, a set as an array, a double as its
/// text, a boolean as 1 or 0, a null as a null bulk string.
fn resp2_shape(frame: Frame) -> Frame {
    match frame {
        Frame::Map(pairs) => Frame::Array(
            pairs
                .into_iter()
                .flat_map(|(field, value)| [resp2_shape(field), resp2_shape(value)])
                .collect(),
        ),
        Frame::Set(items) | Frame::Array(items) => {
            Frame::Array(items.into_iter().map(resp2_shape).collect())
        }
        Frame::Double(n) => Frame::BulkString(resp2_double(n).into()),
        Frame::Boolean(b) => Frame::Integer(i64::from(b)),
        Frame::Null => Frame::NullBulk,
        Frame::BigNumber(digits) => Frame::BulkString(digits),
        Frame::Attributed(attributed) => resp2_shape(attributed.frame),
        other => other,
    }
}

/// A double as a RESP2 reply writes it: `inf`, `-inf`, `nan`, else its
/// shortest decimal form (as Redis 7.2 and later write it; 7.0 wrote 17
/// significant digits: `0.10000000000000001`).
fn resp2_double(n: f64) -> String {
    if n.is_infinite() {
        return if n > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if n.is_nan() {
        return "nan".to_owned();
    }
    n.to_string()
}

/// A cache's counters as a table (`hits`, `misses`, `invalidations`,
/// `evictions`, `flushes`, `entries`, `bytes`), or `nil, "no cache"`.
pub(crate) fn cache_stats(
    lua: &Lua,
    stats: Option<redwire::cache::CacheStats>,
) -> Result<MultiValue> {
    let Some(stats) = stats else {
        return failure(lua, "no cache");
    };
    let table = lua.create_table()?;
    for (name, value) in stats.by_name() {
        table.set(name, value)?;
    }
    Ok(MultiValue::from_vec(vec![Value::Table(table)]))
}

/// `redis.null`: a NULL inside an array, never a hole in the table.
pub(crate) fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// A top-level reply: the value, or `nil` and why there is none (`"not
/// found"` for a null, the message for an error reply).
pub(crate) fn reply(lua: &Lua, frame: &Frame) -> Result<(Value, Option<String>)> {
    match frame {
        f if f.is_null() => Ok((Value::Nil, Some("not found".to_owned()))),
        Frame::Error(message) | Frame::BulkError(message) => Ok((
            Value::Nil,
            Some(String::from_utf8_lossy(message).into_owned()),
        )),
        other => Ok((value(lua, other)?, None)),
    }
}

/// How an error reply inside a table shows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NestedError {
    /// `{ err = message }`, the `redis` module's way.
    ErrField,
    /// `{ false, message }`, lua-resty-redis' way.
    FalsePair,
}

/// A reply as a Lua value, inside a table or not.
pub(crate) fn value(lua: &Lua, frame: &Frame) -> Result<Value> {
    crate::lua_stack::value(lua, frame, NestedError::ErrField)
}

/// A top-level reply as the values a Lua call returns: `value` or
/// `nil, why`.
pub(crate) fn returned(lua: &Lua, frame: &Frame) -> Result<MultiValue> {
    let (value, why) = reply(lua, frame)?;
    Ok(match why {
        Some(why) => MultiValue::from_vec(vec![value, Value::String(lua.create_string(why)?)]),
        None => MultiValue::from_vec(vec![value]),
    })
}

/// `nil, message` for a failed request: an error reply's message as the
/// server wrote it, else the error.
pub(crate) fn failed(lua: &Lua, error: &redwire::Error) -> Result<MultiValue> {
    match error {
        redwire::Error::Server(reply) => failure(lua, reply.message()),
        other => failure(lua, &other.to_string()),
    }
}

/// `nil, message`.
pub(crate) fn failure(lua: &Lua, message: &str) -> Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![
        Value::Nil,
        Value::String(lua.create_string(message)?),
    ]))
}

/// A command argument taken from a Lua value. A string is copied: a Lua
/// reference held while the request waits would count against the room
/// Lua 5.1 and `LuaJIT` have for them (about 8000 in all, for every
/// coroutine of a run).
#[derive(Clone)]
pub(crate) enum LuaArg {
    /// An integer.
    Int(i64),
    /// Anything else, as text.
    Text(Vec<u8>),
}

impl Arg for LuaArg {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Self::Int(n) => n.with_bytes(f),
            Self::Text(text) => f(text),
        }
    }
}

impl Args for LuaArg {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        self.with_bytes(f);
    }
}

impl From<&str> for LuaArg {
    fn from(text: &str) -> Self {
        Self::Text(text.as_bytes().to_vec())
    }
}

/// A number as a command argument, exactly: a whole number as its digits
/// (not Lua's `%.14g`, which turns 123456789012345 into
/// 1.2345678901234e+14), any other as the shortest text that reads back
/// to it.
pub(crate) fn number(x: f64) -> Vec<u8> {
    // Whole numbers an i64 holds: below 2^63 in magnitude.
    if x.fract() == 0.0 && x.abs() < 9_223_372_036_854_775_808.0 {
        return (x as i64).to_string().into_bytes();
    }
    format!("{x:?}").into_bytes()
}

/// Command arguments from Lua values, each converted to a string as Lua's
/// `tostring` would for strings and booleans, numbers exactly.
pub(crate) fn args(
    lua: &Lua,
    values: impl IntoIterator<Item = Value>,
) -> std::result::Result<Vec<LuaArg>, String> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(LuaArg::Text(s.as_bytes().to_vec())),
            Value::Integer(n) => Ok(LuaArg::Int(n)),
            Value::Number(x) => Ok(LuaArg::Text(number(x))),
            Value::Boolean(b) => Ok(LuaArg::Text(b.to_string().into_bytes())),
            other => match lua.coerce_string(other.clone()) {
                Ok(Some(s)) => Ok(LuaArg::Text(s.as_bytes().to_vec())),
                _ => Err(format!(
                    "argument {} is a {}: commands take strings, numbers and booleans",
                    i + 1,
                    other.type_name()
                )),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_are_sent_exactly() {
        let text = |x: f64| String::from_utf8(number(x)).unwrap_or_default();
        assert_eq!(text(123_456_789_012_345.0), "123456789012345");
        assert_eq!(text(1e15), "1000000000000000");
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(text(1.5), "1.5");
        assert_eq!(text(1e300), "1e300");
        assert_eq!(text(f64::INFINITY), "inf");
        assert_eq!(text(-f64::INFINITY), "-inf");
    }
}
