//! Command arguments taken from Python values, copied once into one buffer
//! while the GIL is held.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyFloat, PyInt, PyString, PyTuple};
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
    /// The arguments of `values`: `bytes`, `bytearray`, `str` (UTF-8),
    /// `int` and `float` (as Python writes them); a `bool` is refused, as
    /// redis-py refuses it.
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
            return Err(PyTypeError::new_err(format!(
                "argument {} is a bool: convert it to bytes, str, int or float first",
                i + 1
            )));
        } else if let Ok(int) = value.cast::<PyInt>() {
            match int.extract::<i64>() {
                Ok(n) => self.0.push(n.to_string().as_bytes()),
                Err(_) => self.0.push(int.str()?.to_cow()?.as_bytes()),
            }
        } else if let Ok(float) = value.cast::<PyFloat>() {
            self.0.push(float.repr()?.to_cow()?.as_bytes());
        } else if let Ok(array) = value.cast::<PyByteArray>() {
            self.0.push(&array.to_vec());
        } else {
            return Err(PyTypeError::new_err(format!(
                "argument {} is a {}: commands take bytes, str, int and float",
                i + 1,
                value.get_type().name()?
            )));
        }
        Ok(())
    }
}
