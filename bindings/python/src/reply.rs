//! Replies as Python values.
//!
//! | reply | Python |
//! |---|---|
//! | bulk, simple, verbatim string | `bytes` (`str` when decoding; invalid UTF-8 then raises `UnicodeDecodeError`) |
//! | integer | `int`; big number: `int` |
//! | double | `float` |
//! | boolean | `bool` |
//! | null | `None` |
//! | array, push, set | `list` (a set in the order sent, as redis-py reads it: its members may be maps) |
//! | map | `dict` (a list key becomes a tuple) |
//! | error inside an array | a `ResponseError` instance, in place |
//! | attributed value | the value (attributes dropped) |

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use redwire::Frame;

use crate::errors;

/// A reply as a Python value; strings decoded as UTF-8 when `decode`.
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    frame: &Frame,
    decode: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let text = |bytes: &[u8]| -> PyResult<Bound<'py, PyAny>> {
        if !decode {
            return Ok(PyBytes::new(py, bytes).into_any());
        }
        // Strictly, as redis-py decodes: a binary value is an error, never
        // silently replaced characters.
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(PyString::new(py, text).into_any()),
            Err(e) => Err(PyErr::from_value(
                pyo3::exceptions::PyUnicodeDecodeError::new_utf8(py, bytes, e)?.into_any(),
            )),
        }
    };
    Ok(match frame {
        Frame::SimpleString(b) | Frame::BulkString(b) => text(b)?,
        Frame::VerbatimString { text: body, .. } => text(body)?,
        Frame::StreamedString(chunks) => text(&chunks.concat())?,
        Frame::Integer(n) => n.into_pyobject(py)?.into_any(),
        Frame::BigNumber(digits) => py
            .get_type::<pyo3::types::PyInt>()
            .call1((String::from_utf8_lossy(digits).as_ref(),))?,
        Frame::Double(n) => n.into_pyobject(py)?.into_any(),
        Frame::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Frame::NullBulk | Frame::NullArray | Frame::Null => py.None().into_bound(py),
        Frame::Error(message) | Frame::BulkError(message) => {
            errors::response_error(py, &String::from_utf8_lossy(message))?
        }
        Frame::Array(items) | Frame::Push(items) | Frame::Set(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item, decode)?)?;
            }
            list.into_any()
        }
        Frame::Map(pairs) => {
            let dict = PyDict::new(py);
            for (k, v) in pairs {
                dict.set_item(
                    hashable(to_python(py, k, decode)?)?,
                    to_python(py, v, decode)?,
                )?;
            }
            dict.into_any()
        }
        Frame::Attributed(attributed) => to_python(py, &attributed.frame, decode)?,
    })
}

/// A list (unhashable) as a tuple, for a dict key.
fn hashable(value: Bound<'_, PyAny>) -> PyResult<Bound<'_, PyAny>> {
    match value.cast::<PyList>() {
        Ok(list) => Ok(PyTuple::new(value.py(), list.iter())?.into_any()),
        Err(_) => Ok(value),
    }
}
