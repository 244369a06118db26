//! Command arguments taken from Python values, copied once into one buffer
//! while the GIL is held.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyFloat, PyInt, PyMemoryView, PyString, PyTuple};
use redwire::{ArgBuf, Args};

/// One command's arguments, copied from Python values.
#[derive(Debug, Default)]
pub(crate) struct FlatArgs(ArgBuf);

impl Args for FlatArgs {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        self.0.for_each_arg(f);
    }
}

impl FlatArgs {
    /// The arguments of `values`: `bytes`, `bytearray`, `memoryview`, `str`
    /// (UTF-8), `int` and `float` (as Python writes them); anything else (a
    /// `bool`, `None`, a list) raises `DataError`, as in redis-py.
    pub(crate) fn from_tuple(values: &Bound<'_, PyTuple>) -> PyResult<Self> {
        let mut args = Self::default();
        args.fill(values)?;
        Ok(args)
    }

    /// Replaces the arguments with those of `values`.
    pub(crate) fn fill(&mut self, values: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.0.clear();
        for (i, value) in values.iter().enumerate() {
            self.push(i, &value)?;
        }
        if self.0.is_empty() {
            return Err(PyTypeError::new_err("a command needs at least its name"));
        }
        Ok(())
    }

    fn push(&mut self, i: usize, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(bytes) = value.cast::<PyBytes>() {
            self.0.push(bytes.as_bytes());
        } else if let Ok(text) = value.cast::<PyString>() {
            self.0.push(text.to_cow()?.as_bytes());
        } else if value.is_instance_of::<pyo3::types::PyBool>() {
            return Err(data_error(
                value.py(),
                &format!(
                    "argument {} is a bool: convert it to bytes, str, int or float first",
                    i + 1
                ),
            ));
        } else if let Ok(int) = value.cast::<PyInt>() {
            match int.extract::<i64>() {
                Ok(n) => self.0.push(n.to_string().as_bytes()),
                Err(_) => self.0.push(int.str()?.to_cow()?.as_bytes()),
            }
        } else if let Ok(float) = value.cast::<PyFloat>() {
            self.0.push(float.repr()?.to_cow()?.as_bytes());
        } else if let Ok(array) = value.cast::<PyByteArray>() {
            self.0.push(&array.to_vec());
        } else if value.is_instance_of::<PyMemoryView>() {
            let bytes = value.call_method0("tobytes")?;
            self.0.push(bytes.cast::<PyBytes>()?.as_bytes());
        } else {
            return Err(data_error(
                value.py(),
                &format!(
                    "argument {} is a {}: commands take bytes, str, int and float",
                    i + 1,
                    value.get_type().name()?
                ),
            ));
        }
        Ok(())
    }
}

/// `redwire.DataError(message)` (a `TypeError` if it cannot be made).
fn data_error(py: Python<'_>, message: &str) -> PyErr {
    match crate::errors::instance(py, "DataError", message) {
        Ok(error) => PyErr::from_value(error),
        Err(e) => e,
    }
}
