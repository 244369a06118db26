//! `lev`: the runtime redis operations yield to, kept for the Lua state.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use mlua::{Error, Function, Lua, MultiValue, Result, Table};

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
}

/// The state's runtime, made on first use.
pub(crate) fn runtime(lua: &Lua) -> Result<Runtime> {
    if let Some(runtime) = lua.app_data_ref::<Runtime>() {
        return Ok(runtime.clone());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::runtime(format!("cannot start the lev runtime: {e}")))?;
    let runtime = Runtime(Arc::new(runtime));
    lua.set_app_data(runtime.clone());
    Ok(runtime)
}

/// Whether a `lev.run` is running on this state.
pub(crate) fn inside_run(lua: &Lua) -> bool {
    lua.app_data_ref::<Rc<Running>>().is_some()
}

pub(crate) fn module(lua: &Lua) -> Result<Table> {
    let lev = lua.create_table()?;
    lev.set("run", lua.create_function(run)?)?;
    lev.set("spawn", lua.create_function(spawn)?)?;
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
/// first error (of `fn`, else of a spawned coroutine).
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
    let _running = Leave(lua);
    let main = lua.create_thread(function)?.into_async::<MultiValue>(args);
    let local = tokio::task::LocalSet::new();
    let result = runtime.0.block_on(local.run_until(async {
        let result = match main {
            Ok(main) => main.await,
            Err(e) => Err(e),
        };
        // Spawned coroutines may spawn more: wait until none is left.
        loop {
            let tasks = std::mem::take(&mut *running.tasks.borrow_mut());
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                let _ = task.await;
            }
        }
        result
    }));
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
/// `lev.run`.
fn spawn(lua: &Lua, (function, args): (Function, MultiValue)) -> Result<()> {
    let Some(running) = lua.app_data_ref::<Rc<Running>>().map(|r| Rc::clone(&r)) else {
        return Err(Error::runtime("lev.spawn must be called inside lev.run"));
    };
    let coroutine = lua.create_thread(function)?.into_async::<()>(args)?;
    let errors = running.clone();
    let task = tokio::task::spawn_local(async move {
        if let Err(e) = coroutine.await {
            errors.error.borrow_mut().get_or_insert(e);
        }
    });
    running.tasks.borrow_mut().push(task);
    Ok(())
}
