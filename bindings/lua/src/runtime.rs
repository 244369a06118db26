//! `lev`: the runtime redis operations yield to, kept for the Lua state.
//!
//! `lev.run` and `lev.spawn` (wrapped by `lev.lua`, which keeps each
//! function's error value as it was raised) run coroutines on one thread.
//! A redis operation waits by yielding its coroutine, so it must run in a
//! coroutine lev drives ([`adopt`]ed): in one the user made with
//! `coroutine.create` or `coroutine.wrap`, lev's waiting would come back to
//! the user's `resume` instead; where a yield is impossible (Lua 5.1's
//! `pcall`, a metamethod, `string.gsub`'s callback) it would fail half-way.
//! [`ready_to_wait`] refuses both before anything is done.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use mlua::{Error, Function, Lua, MultiValue, RegistryKey, Result, Table, Thread, Value};
use redwire::SPIN;

/// At most this many coroutines of one `lev.run` run at once; the others
/// wait their turn, in spawn order (one that waits for a coroutine spawned
/// past it waits for ever). Each running coroutine holds a Lua reference or
/// a few, and Lua 5.1 and `LuaJIT` have room for about 8000 in all (7000
/// sleeping coroutines ran, 8000 did not); under every Lua it bounds the
/// connections a run opens at once.
const MAX_LIVE: usize = 1024;

/// What a redis operation outside `lev.run` returns (after `nil`).
pub(crate) const OUTSIDE_RUN: &str = "redis operations must run inside lev.run()";

/// The tokio runtime of one Lua state: connections and pools made in one
/// `lev.run` live on into the next.
#[derive(Clone)]
pub(crate) struct Runtime(pub(crate) Arc<tokio::runtime::Runtime>);

/// Set while `lev.run` runs: what it must wait for, and the first error of
/// a spawned coroutine.
#[derive(Default)]
struct Running {
    tasks: RefCell<Vec<tokio::task::JoinHandle<()>>>,
    error: RefCell<Option<Error>>,
    /// Coroutines started and not done.
    live: Cell<usize>,
    /// Coroutines spawned while [`MAX_LIVE`] ran: the function and a table
    /// of its arguments, kept in the registry (not as references).
    waiting: RefCell<VecDeque<(RegistryKey, RegistryKey)>>,
}

/// How often the runtime's own tasks (the pools' upkeep: closing idle
/// connections, keeping `min_idle` ones; sentinel watchers) get to run
/// between `lev.run` calls.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// The state's runtime, made on first use. A thread of its own drives it
/// for a moment every [`UPKEEP_EVERY`], so that its tasks run between
/// `lev.run` calls too (inside one, `lev.run` drives it); the thread ends
/// once the state has dropped the runtime.
pub(crate) fn runtime(lua: &Lua) -> Result<Runtime> {
    if let Some(runtime) = lua.app_data_ref::<Runtime>() {
        return Ok(runtime.clone());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::runtime(format!("cannot start the lev runtime: {e}")))?;
    let runtime = Arc::new(runtime);
    let upkept = Arc::downgrade(&runtime);
    std::thread::Builder::new()
        .name("redwire-lev-upkeep".to_owned())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            let Some(runtime) = upkept.upgrade() else {
                return;
            };
            // Inside a `lev.run`, this waits a millisecond of its driving.
            // (The timer is made inside: it needs the runtime's context.)
            runtime.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
        })
        .map_err(|e| Error::runtime(format!("cannot start the lev upkeep thread: {e}")))?;
    let runtime = Runtime(runtime);
    lua.set_app_data(runtime.clone());
    Ok(runtime)
}

/// Whether a `lev.run` is running on this state.
pub(crate) fn inside_run(lua: &Lua) -> bool {
    lua.app_data_ref::<Rc<Running>>().is_some()
}

/// How long a request polls for its reply before the thread sleeps
/// ([`redwire::spinning`]): [`SPIN`] when the run's own coroutine is the
/// only one (none spawned is live); with others, none (their turns come
/// first).
pub(crate) fn spin(lua: &Lua) -> Duration {
    let alone = lua
        .app_data_ref::<Rc<Running>>()
        .is_some_and(|running| running.live.get() == 0);
    if alone {
        SPIN
    } else {
        Duration::ZERO
    }
}

/// The registry name of the weak-keyed set of coroutines lev drives.
const ADOPTED: &str = "redwire.lev.adopted";

/// `lev.adopt(co)` (for `lev.lua`): `co` is driven by lev, its yields
/// passed through to lev's own coroutine.
fn adopt(lua: &Lua, thread: Thread) -> Result<()> {
    adopted(lua)?.raw_set(thread, true)
}

fn adopted(lua: &Lua) -> Result<Table> {
    if let Ok(set) = lua.named_registry_value::<Table>(ADOPTED) {
        return Ok(set);
    }
    let set = lua.create_table()?;
    let weak_keys = lua.create_table()?;
    weak_keys.set("__mode", "k")?;
    set.set_metatable(Some(weak_keys))?;
    lua.set_named_registry_value(ADOPTED, &set)?;
    Ok(set)
}

/// Why a redis operation cannot wait here, if it cannot: outside
/// `lev.run`, or in a coroutine lev does not drive. On Lua 5.1, where
/// `pcall` cannot yield, the operation yields once first: inside a `pcall`
/// that fails before anything was done, and the connection is left as it
/// was.
#[allow(clippy::unused_async)] // it awaits on Lua 5.1 only
pub(crate) async fn ready_to_wait(lua: &Lua) -> std::result::Result<(), String> {
    if !inside_run(lua) {
        return Err(OUTSIDE_RUN.to_owned());
    }
    let here = lua.current_thread();
    let driven = adopted(lua)
        .and_then(|set| set.raw_get::<bool>(here))
        .unwrap_or(false);
    if !driven {
        return Err(
            "redis operations must run in a coroutine of lev.run or lev.spawn, \
                    not one made with coroutine.create or coroutine.wrap"
                .to_owned(),
        );
    }
    #[cfg(feature = "lua51")]
    {
        let mut probed = false;
        std::future::poll_fn(|cx| {
            if std::mem::replace(&mut probed, true) {
                std::task::Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }
    Ok(())
}

pub(crate) fn module(lua: &Lua) -> Result<Table> {
    let lev = lua.create_table()?;
    lev.set("run", lua.create_function(run)?)?;
    lev.set("spawn", lua.create_function(spawn)?)?;
    lev.set("adopt", lua.create_function(adopt)?)?;
    lev.set(
        "running",
        lua.create_function(|lua, ()| Ok(inside_run(lua)))?,
    )?;
    lev.set(
        "sleep",
        lua.create_async_function(|lua, seconds: f64| async move {
            if !inside_run(&lua) {
                return Err(Error::runtime("lev.sleep must be called inside lev.run"));
            }
            ready_to_wait(&lua).await.map_err(Error::runtime)?;
            let seconds = Duration::try_from_secs_f64(seconds).map_err(|_| {
                Error::runtime(format!(
                    "lev.sleep: seconds must be a non-negative number, got {seconds}"
                ))
            })?;
            tokio::time::sleep(seconds).await;
            Ok(())
        })?,
    )?;
    Ok(lev)
}

/// `lev.run(fn, ...)`: runs `fn(...)` as a coroutine until it and every
/// coroutine it spawned are done; returns what `fn` returned, or raises the
/// first error (of `fn`, else of a spawned coroutine; a coroutine that
/// failed inside redwire too). When `fn` fails, the run ends at once, as
/// `OpenResty`'s light threads end with their entry thread's error: the
/// coroutines still running are abandoned (a request of theirs under way
/// closes its connection).
fn run(lua: &Lua, (function, args): (Function, MultiValue)) -> Result<MultiValue> {
    if inside_run(lua) {
        return Err(Error::runtime(
            "lev.run cannot run inside lev.run: use lev.spawn",
        ));
    }
    let runtime = runtime(lua)?;
    let running = Rc::new(Running::default());
    lua.set_app_data(running.clone());
    // However this run ends (an error, a panic unwinding through it), the
    // state is no longer inside it afterwards.
    let running_now = Leave(lua);
    let main = lua.create_thread(function)?.into_async::<MultiValue>(args);
    let local = tokio::task::LocalSet::new();
    let result = runtime.0.block_on(local.run_until(async {
        // When it fails, the others are abandoned.
        let values = main?.await?;
        // Spawned coroutines may spawn more: wait until none is left.
        loop {
            let tasks = std::mem::take(&mut *running.tasks.borrow_mut());
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                if let Err(e) = task.await {
                    let failure = Error::runtime(format!(
                        "a coroutine of lev.run failed inside redwire (a bug): {e}"
                    ));
                    running.error.borrow_mut().get_or_insert(failure);
                }
            }
        }
        Ok(values)
    }));
    if result.is_err() {
        let abandoned = running.live.get() > 0 || !running.waiting.borrow().is_empty();
        drop(local);
        running.waiting.borrow_mut().clear();
        drop(running_now);
        if abandoned {
            // The coroutines abandoned hold their requests until collected:
            // collected now (outside the run), a request under way closes
            // its connection, and a client of theirs is free for the next
            // run. A finalizer's error is its own: the run's is raised.
            lua.gc_collect().ok();
            lua.gc_collect().ok();
        }
    }
    let spawned_error = running.error.borrow_mut().take();
    match (result, spawned_error) {
        (Err(e), _) | (Ok(_), Some(e)) => Err(e),
        (Ok(values), None) => Ok(values),
    }
}

/// Ends a `lev.run` on the state when dropped.
struct Leave<'a>(&'a Lua);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.remove_app_data::<Rc<Running>>();
    }
}

/// `lev.spawn(fn, ...)`: runs `fn(...)` as another coroutine of this
/// `lev.run`, at once, or when fewer than [`MAX_LIVE`] run.
fn spawn(lua: &Lua, (function, args): (Function, MultiValue)) -> Result<()> {
    let Some(running) = lua.app_data_ref::<Rc<Running>>().map(|r| Rc::clone(&r)) else {
        return Err(Error::runtime("lev.spawn must be called inside lev.run"));
    };
    if running.live.get() >= MAX_LIVE {
        // Every argument, nil ones too, and how many.
        let packed = lua.create_table()?;
        packed.raw_set("n", args.len())?;
        for (i, arg) in args.into_iter().enumerate() {
            packed.raw_set(i + 1, arg)?;
        }
        let queued = (
            lua.create_registry_value(function)?,
            lua.create_registry_value(packed)?,
        );
        running.waiting.borrow_mut().push_back(queued);
        return Ok(());
    }
    start(lua, &running, function, args)
}

/// Starts a coroutine of the run; when it is done, the next waiting one.
fn start(lua: &Lua, running: &Rc<Running>, function: Function, args: MultiValue) -> Result<()> {
    let coroutine = lua.create_thread(function)?.into_async::<()>(args)?;
    running.live.set(running.live.get() + 1);
    let (lua, run) = (lua.clone(), running.clone());
    let task = tokio::task::spawn_local(async move {
        if let Err(e) = coroutine.await {
            run.error.borrow_mut().get_or_insert(e);
        }
        run.live.set(run.live.get() - 1);
        let next = run.waiting.borrow_mut().pop_front();
        if let Some((function, args)) = next {
            let started = lua
                .registry_value::<Function>(&function)
                .and_then(|function| {
                    let packed: Table = lua.registry_value(&args)?;
                    let count: usize = packed.raw_get("n")?;
                    let args = (1..=count)
                        .map(|i| packed.raw_get::<Value>(i))
                        .collect::<Result<MultiValue>>()?;
                    start(&lua, &run, function, args)
                });
            if let Err(e) = started {
                run.error.borrow_mut().get_or_insert(e);
            }
            drop(lua.remove_registry_value(function));
            drop(lua.remove_registry_value(args));
        }
    });
    running.tasks.borrow_mut().push(task);
    Ok(())
}
