#!/bin/sh
# Builds the native library for the Lua that luarocks targets and puts it
# at build/redwire_native.so. $1: that Lua's interpreter (luarocks' $(LUA)).
# REDWIRE_LUA_PROFILE picks the cargo profile (default release; the test
# command uses dev to reuse its build).
set -eu
lua="${1:-lua}"
case "$("$lua" -e 'io.write(jit and "luajit" or _VERSION)')" in
  luajit) feature=luajit ;;
  "Lua 5.1") feature=lua51 ;;
  "Lua 5.2") feature=lua52 ;;
  "Lua 5.3") feature=lua53 ;;
  "Lua 5.4") feature=lua54 ;;
  *) echo "redwire: unsupported Lua $("$lua" -v 2>&1) ($lua): use Lua 5.1 to 5.4 or LuaJIT" >&2; exit 1 ;;
esac
profile="${REDWIRE_LUA_PROFILE:-release}"
cargo build --profile "$profile" -p redwire-lua --features "$feature" --message-format short
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
dir="$profile"
[ "$profile" = dev ] && dir=debug
mkdir -p build
cp "$target/$dir/libredwire_lua.so" build/redwire_native.so
