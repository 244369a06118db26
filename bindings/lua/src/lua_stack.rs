//! Replies pushed and command tables read on the Lua stack directly, inside
//! one protected call each: no registry reference per value, which is what
//! most of a pipeline's time went to under `LuaJIT`.
//!
//! The closures given to [`Lua::exec_raw`] hold nothing that needs dropping
//! while they call Lua (a Lua error unwinds them with `longjmp`, and the
//! call then returns it as an `Err`); what they fill (an argument buffer, a
//! pipeline) belongs to their caller.

use std::ffi::c_int;

use mlua::{ffi, Lua, Result, Table, Value};
use redwire::{ArgBuf, Frame, Pipeline, ServerError};

use crate::convert::NestedError;

/// Stack slots one level of a reply needs: the table, a key and a value.
const SLOTS_PER_LEVEL: c_int = 3;

/// Pushes `bytes` as a Lua string.
unsafe fn push_bytes(state: *mut ffi::lua_State, bytes: &[u8]) {
    ffi::lua_pushlstring(state, bytes.as_ptr().cast(), bytes.len());
}

/// Pushes a reply, as [`crate::convert`] documents the mapping; error
/// replies inside tables as `nested` says. A reply nested deeper than the
/// Lua stack can hold raises a Lua error.
unsafe fn push_frame(state: *mut ffi::lua_State, frame: &Frame, nested: NestedError) {
    if ffi::lua_checkstack(state, SLOTS_PER_LEVEL) == 0 {
        ffi::luaL_error(state, c"reply nested too deeply for the Lua stack".as_ptr());
    }
    match frame {
        Frame::SimpleString(b) | Frame::BulkString(b) | Frame::BigNumber(b) => push_bytes(state, b),
        Frame::VerbatimString { text, .. } => push_bytes(state, text),
        Frame::StreamedString(chunks) => {
            // Joined by Lua's own concatenation, so no Rust buffer is held.
            let count = c_int::try_from(chunks.len()).unwrap_or(c_int::MAX);
            if ffi::lua_checkstack(state, count.saturating_add(1)) == 0 {
                ffi::luaL_error(
                    state,
                    c"reply has too many chunks for the Lua stack".as_ptr(),
                );
            }
            for chunk in chunks {
                push_bytes(state, chunk);
            }
            ffi::lua_concat(state, count);
        }
        Frame::Integer(n) => ffi::lua_pushinteger(state, *n as ffi::lua_Integer),
        Frame::Double(n) => ffi::lua_pushnumber(state, *n),
        Frame::Boolean(b) => ffi::lua_pushboolean(state, c_int::from(*b)),
        Frame::NullBulk | Frame::NullArray | Frame::Null => {
            ffi::lua_pushlightuserdata(state, std::ptr::null_mut());
        }
        Frame::Error(message) | Frame::BulkError(message) => match nested {
            NestedError::ErrField => {
                ffi::lua_createtable(state, 0, 1);
                push_bytes(state, message);
                ffi::lua_setfield(state, -2, c"err".as_ptr());
            }
            NestedError::FalsePair => {
                ffi::lua_createtable(state, 2, 0);
                ffi::lua_pushboolean(state, 0);
                ffi::lua_rawseti(state, -2, 1);
                push_bytes(state, message);
                ffi::lua_rawseti(state, -2, 2);
            }
        },
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            ffi::lua_createtable(state, items.len().try_into().unwrap_or(0), 0);
            for (i, item) in items.iter().enumerate() {
                push_frame(state, item, nested);
                ffi::lua_rawseti(state, -2, (i + 1) as ffi::lua_Integer);
            }
        }
        Frame::Map(pairs) => {
            ffi::lua_createtable(state, 0, pairs.len().try_into().unwrap_or(0));
            for (k, v) in pairs {
                push_frame(state, k, nested);
                push_frame(state, v, nested);
                ffi::lua_rawset(state, -3);
            }
        }
        Frame::Attributed(attributed) => push_frame(state, &attributed.frame, nested),
    }
}

/// A reply as a Lua value, with error replies inside tables shown as
/// `nested` says.
pub(crate) fn value(lua: &Lua, frame: &Frame, nested: NestedError) -> Result<Value> {
    // SAFETY: pushes exactly one value, which `exec_raw` returns.
    unsafe { lua.exec_raw((), |state| push_frame(state, frame, nested)) }
}

/// The `redis` module's pipeline result: `{ {value}, {}, {nil, message}, … }`
/// (a null reply: an empty entry).
pub(crate) fn pipeline_results(
    lua: &Lua,
    replies: &[std::result::Result<Frame, ServerError>],
) -> Result<Table> {
    // SAFETY: pushes exactly one table, which `exec_raw` returns.
    unsafe {
        lua.exec_raw((), |state| {
            ffi::lua_createtable(state, replies.len().try_into().unwrap_or(0), 0);
            for (i, reply) in replies.iter().enumerate() {
                ffi::lua_createtable(state, 2, 0);
                match reply {
                    Ok(frame) if frame.is_null() => {}
                    Ok(frame) => {
                        push_frame(state, frame, NestedError::ErrField);
                        ffi::lua_rawseti(state, -2, 1);
                    }
                    Err(e) => {
                        push_bytes(state, e.message().as_bytes());
                        ffi::lua_rawseti(state, -2, 2);
                    }
                }
                ffi::lua_rawseti(state, -2, (i + 1) as ffi::lua_Integer);
            }
        })
    }
}

/// Lua's name of the type at `index`.
unsafe fn type_name(state: *mut ffi::lua_State, index: c_int) -> String {
    let name = ffi::lua_typename(state, ffi::lua_type(state, index));
    std::ffi::CStr::from_ptr(name)
        .to_string_lossy()
        .into_owned()
}

/// Adds each command of `commands` (a list of argument lists) to
/// `pipeline`: strings as they are, numbers as Lua writes them, booleans as
/// `true`/`false`. `Ok(Err(why))` names the first command that is not a
/// table, is empty or holds another kind of value.
pub(crate) fn read_commands(
    lua: &Lua,
    commands: &Table,
    pipeline: &mut Pipeline,
) -> Result<std::result::Result<(), String>> {
    let mut why = None;
    let mut args = ArgBuf::default();
    // SAFETY: each argument's bytes are copied while its string is on the
    // stack, then it is popped: a command of any length needs two slots.
    unsafe {
        lua.exec_raw::<()>(commands, |state| {
            if ffi::lua_checkstack(state, 3) == 0 {
                why = Some("the Lua stack is full".to_owned());
                return;
            }
            for n in 1.. {
                let kind = ffi::lua_rawgeti(state, 1, n);
                if kind == ffi::LUA_TNIL {
                    ffi::lua_pop(state, 1);
                    return;
                }
                if kind != ffi::LUA_TTABLE {
                    why = Some(format!(
                        "command {n} is a {}, not a table of arguments",
                        type_name(state, -1)
                    ));
                    return;
                }
                args.clear();
                for i in 1.. {
                    match ffi::lua_rawgeti(state, -1, i) {
                        ffi::LUA_TNIL => break,
                        ffi::LUA_TSTRING => {
                            let mut len = 0;
                            let text = ffi::lua_tolstring(state, -1, &raw mut len);
                            args.push(std::slice::from_raw_parts(text.cast(), len));
                        }
                        // Exactly (see `convert::number`), not as Lua writes it.
                        ffi::LUA_TNUMBER => args.push(&number_on_stack(state)),
                        ffi::LUA_TBOOLEAN if ffi::lua_toboolean(state, -1) != 0 => args.push(b"true"),
                        ffi::LUA_TBOOLEAN => args.push(b"false"),
                        _ => {
                            why = Some(format!(
                                "command {n}: argument {i} is a {}: commands take strings, numbers and booleans",
                                type_name(state, -1)
                            ));
                            return;
                        }
                    }
                    ffi::lua_pop(state, 1);
                }
                // The nil that ended the arguments, and the command.
                ffi::lua_pop(state, 2);
                if args.is_empty() {
                    why = Some(format!("command {n} is empty"));
                    return;
                }
                pipeline.cmd(&args);
            }
        })?;
    }
    Ok(why.map_or(Ok(()), Err))
}

/// The number on top of the stack as a command argument (see
/// [`convert::number`](crate::convert::number)); an integer of Lua 5.3 and
/// 5.4 as its digits.
unsafe fn number_on_stack(state: *mut ffi::lua_State) -> Vec<u8> {
    #[cfg(any(feature = "lua53", feature = "lua54"))]
    if ffi::lua_isinteger(state, -1) != 0 {
        return ffi::lua_tointeger(state, -1).to_string().into_bytes();
    }
    crate::convert::number(ffi::lua_tonumber(state, -1))
}
