//! Command arguments taken from Python values, copied once into one buffer
//! while the GIL is held.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyFloat, PyInt, PyString, PyTuple};
use redwire::Args;

/// One command's arguments, end to end in one buffer.
#[derive(Debug, Default)]
pub(crate) struct FlatArgs {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Args for FlatArgs {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        let mut start = 0;
        for &end in &self.ends {
            f(&self.data[start..end]);
            start = end;
        }
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
        self.data.clear();
        self.ends.clear();
        for (i, value) in values.iter().enumerate() {
            self.push(i, &value)?;
        }
        if self.ends.is_empty() {
            return Err(PyTypeError::new_err("a command needs at least its name"));
        }
        Ok(())
    }

    fn push(&mut self, i: usize, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(bytes) = value.cast::<PyBytes>() {
            self.data.extend_from_slice(bytes.as_bytes());
        } else if let Ok(text) = value.cast::<PyString>() {
            self.data.extend_from_slice(text.to_cow()?.as_bytes());
        } else if value.is_instance_of::<pyo3::types::PyBool>() {
            return Err(PyTypeError::new_err(format!(
                "argument {} is a bool: convert it to bytes, str, int or float first",
                i + 1
            )));
        } else if let Ok(int) = value.cast::<PyInt>() {
            match int.extract::<i64>() {
                Ok(n) => self.data.extend_from_slice(n.to_string().as_bytes()),
                Err(_) => self.data.extend_from_slice(int.str()?.to_cow()?.as_bytes()),
            }
        } else if let Ok(float) = value.cast::<PyFloat>() {
            self.data
                .extend_from_slice(float.repr()?.to_cow()?.as_bytes());
        } else if let Ok(array) = value.cast::<PyByteArray>() {
            self.data.extend_from_slice(&array.to_vec());
        } else {
            return Err(PyTypeError::new_err(format!(
                "argument {} is a {}: commands take bytes, str, int and float",
                i + 1,
                value.get_type().name()?
            )));
        }
        self.ends.push(self.data.len());
        Ok(())
    }
}
