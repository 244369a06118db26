//! Typed replies: a [`Frame`] converted to the Rust value its caller asks
//! for, the same whether the server spoke RESP2 or RESP3.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use bytes::Bytes;
use redwire_resp::{Frame, Payload};

use crate::error::{Error, ServerError};

/// A value a reply converts to.
///
/// - `()` takes any reply; [`Frame`] takes it as it came.
/// - Integers (all but `u8`) take an integer, a string of one (`GET` of
///   a counter), or a whole double (a RESP3 score); out of range is an
///   error, not a wrap.
/// - `f64` and `f32` take a double, an integer, or a string of one
///   (`inf` and `-inf` too): RESP2 sends scores as strings.
/// - `bool` takes an integer (non-zero: true), a RESP3 boolean, `OK`, a
///   string `"1"` or `"0"`, and a null (false).
/// - `String`, `Vec<u8>`, [`Payload`] and [`Bytes`] take a simple, bulk or
///   verbatim string, and an integer or double as its text ([`Payload`] as
///   the frame holds it; [`Bytes`] copies a short one into an allocation).
/// - `Option<T>` is `None` for a null (and, for a tuple, an empty array:
///   `ZPOPMIN` of nothing) and `T` otherwise.
/// - `Vec<T>` and the sets take an array, a set or a push (a null is
///   empty); a map is taken as its keys and values in turn. A `Vec` of
///   tuples takes an array of arrays (RESP3's `ZRANGE … WITHSCORES`) or
///   a flat array in groups (RESP2's), so both read the same.
/// - `HashMap` and `BTreeMap` take a map, or an array of keys and values
///   in turn (RESP2's `HGETALL`).
/// - Tuples of up to twelve take an array of exactly that many.
///
/// A reply that does not fit is [`Error::Conversion`], naming what was
/// expected and what came; an error reply inside an array (a failed
/// command of a transaction) is [`Error::Server`].
///
/// ```
/// use std::collections::HashMap;
/// use redwire::{Frame, FromFrame};
///
/// let bulk = |s: &'static str| Frame::BulkString(s.into());
/// // RESP2 and RESP3 `HGETALL` give the same map.
/// let resp2 = Frame::Array(vec![bulk("name"), bulk("ada")]);
/// let resp3 = Frame::Map(vec![(bulk("name"), bulk("ada"))]);
/// let a: HashMap<String, String> = FromFrame::from_frame(resp2)?;
/// let b: HashMap<String, String> = FromFrame::from_frame(resp3)?;
/// assert_eq!(a, b);
///
/// let err = i64::from_frame(bulk("abc")).unwrap_err();
/// assert_eq!(err.to_string(), r#"expected i64, got bulk string "abc""#);
/// # Ok::<(), redwire::Error>(())
/// ```
pub trait FromFrame: Sized {
    /// The value `frame` holds.
    fn from_frame(frame: Frame) -> Result<Self, Error>;

    /// The values an array's items hold, for `Vec<Self>`: one per item,
    /// unless `Self` takes several items at once (a tuple).
    #[doc(hidden)]
    fn from_items(items: Vec<Frame>) -> Result<Vec<Self>, Error> {
        items.into_iter().map(Self::from_frame).collect()
    }

    /// Whether `frame` says there is no value, for `Option<Self>`: a null
    /// (a tuple takes an empty array too).
    #[doc(hidden)]
    fn is_absent(frame: &Frame) -> bool {
        frame.is_null()
    }
}

/// A conversion error: `expected`, and a short description of `frame`.
pub(crate) fn mismatch(expected: &'static str, frame: &Frame) -> Error {
    Error::Conversion {
        expected,
        got: describe(frame),
    }
}

/// A frame's type and, for a short payload, the payload (at most 32 bytes
/// of it, escaped).
fn describe(frame: &Frame) -> String {
    let text = |bytes: &[u8]| {
        let shown: String = bytes
            .iter()
            .take(32)
            .flat_map(|b| std::ascii::escape_default(*b))
            .map(char::from)
            .collect();
        let more = if bytes.len() > 32 { "…" } else { "" };
        format!("{} \"{shown}{more}\"", frame.type_name())
    };
    match frame {
        Frame::SimpleString(b)
        | Frame::BulkString(b)
        | Frame::BigNumber(b)
        | Frame::VerbatimString { text: b, .. } => text(b),
        Frame::Integer(n) => format!("integer {n}"),
        Frame::Double(d) => format!("double {d}"),
        Frame::Boolean(b) => format!("boolean {b}"),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            format!("{} of {}", frame.type_name(), items.len())
        }
        Frame::Map(pairs) => format!("map of {}", pairs.len()),
        other => other.type_name().to_owned(),
    }
}

/// An error reply (simple or bulk), as the error it is.
fn server_error(frame: &Frame) -> Option<Error> {
    match frame {
        Frame::Error(message) | Frame::BulkError(message) => {
            Some(Error::Server(ServerError::new(message)))
        }
        _ => None,
    }
}

/// The frame without its attributes.
fn plain(frame: Frame) -> Frame {
    match frame {
        Frame::Attributed(attributed) => plain(attributed.frame),
        frame => frame,
    }
}

/// The bytes a string-like frame carries, or the text of a number.
fn bytes_of(frame: Frame, expected: &'static str) -> Result<Payload, Error> {
    match plain(frame) {
        Frame::SimpleString(b) | Frame::BulkString(b) | Frame::BigNumber(b) => Ok(b),
        Frame::VerbatimString { text, .. } => Ok(text),
        Frame::StreamedString(chunks) => Ok(chunks.concat().into()),
        Frame::Integer(n) => Ok(n.to_string().into()),
        Frame::Double(d) => Ok(d.to_string().into()),
        frame => Err(server_error(&frame).unwrap_or_else(|| mismatch(expected, &frame))),
    }
}

/// The items of an aggregate (a map as its keys and values in turn; a
/// null as none).
fn items_of(frame: Frame, expected: &'static str) -> Result<Vec<Frame>, Error> {
    match plain(frame) {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => Ok(items),
        Frame::Map(pairs) => Ok(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        Frame::Null | Frame::NullArray | Frame::NullBulk => Ok(Vec::new()),
        frame => Err(server_error(&frame).unwrap_or_else(|| mismatch(expected, &frame))),
    }
}

/// The key/value pairs of a map, or of an array of keys and values in turn
/// (or of pairs).
fn pairs_of(frame: Frame, expected: &'static str) -> Result<Vec<(Frame, Frame)>, Error> {
    match plain(frame) {
        Frame::Map(pairs) => Ok(pairs),
        frame => {
            let items = items_of(frame, expected)?;
            if items
                .iter()
                .all(|i| matches!(i, Frame::Array(pair) if pair.len() == 2))
                && !items.is_empty()
            {
                return Ok(items
                    .into_iter()
                    .filter_map(|item| match item {
                        Frame::Array(pair) => {
                            let mut pair = pair.into_iter();
                            Some((pair.next()?, pair.next()?))
                        }
                        _ => None,
                    })
                    .collect());
            }
            if items.len() % 2 != 0 {
                return Err(Error::Conversion {
                    expected,
                    got: format!("an array of {} (not keys and values in turn)", items.len()),
                });
            }
            let mut items = items.into_iter();
            let mut pairs = Vec::with_capacity(items.len() / 2);
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                pairs.push((k, v));
            }
            Ok(pairs)
        }
    }
}

impl FromFrame for Frame {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        Ok(frame)
    }
}

impl FromFrame for () {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        server_error(&frame).map_or(Ok(()), Err)
    }
}

impl FromFrame for Payload {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        bytes_of(frame, "bytes")
    }
}

impl FromFrame for Bytes {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        bytes_of(frame, "bytes").map(Bytes::from)
    }
}

impl FromFrame for Vec<u8> {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        bytes_of(frame, "bytes").map(Vec::from)
    }
}

impl FromFrame for String {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        let bytes = bytes_of(frame, "String")?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::Conversion {
            expected: "String",
            got: describe(&Frame::BulkString(bytes)) + " (not UTF-8)",
        })
    }
}

impl FromFrame for bool {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        match plain(frame) {
            Frame::Integer(n) => Ok(n != 0),
            Frame::Boolean(b) => Ok(b),
            Frame::Null | Frame::NullBulk | Frame::NullArray => Ok(false),
            Frame::SimpleString(s) if &s[..] == b"OK" => Ok(true),
            Frame::SimpleString(s) | Frame::BulkString(s) if &s[..] == b"1" => Ok(true),
            Frame::SimpleString(s) | Frame::BulkString(s) if &s[..] == b"0" => Ok(false),
            frame => Err(server_error(&frame).unwrap_or_else(|| mismatch("bool", &frame))),
        }
    }
}

/// An integer from an integer frame or the text of one.
fn integer<T: TryFrom<i64> + std::str::FromStr>(
    frame: Frame,
    expected: &'static str,
) -> Result<T, Error> {
    let frame = plain(frame);
    let value = match &frame {
        Frame::Integer(n) => T::try_from(*n).ok(),
        Frame::SimpleString(s) | Frame::BulkString(s) | Frame::BigNumber(s) => {
            std::str::from_utf8(s).ok().and_then(|s| s.parse().ok())
        }
        // RESP3 sends scores as doubles where RESP2 sends their text: a
        // whole one reads as the integer it is.
        Frame::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => T::try_from(*d as i64).ok(),
        _ => None,
    };
    value.ok_or_else(|| server_error(&frame).unwrap_or_else(|| mismatch(expected, &frame)))
}

macro_rules! integers {
    ($($ty:ident),*) => {
        $(impl FromFrame for $ty {
            fn from_frame(frame: Frame) -> Result<Self, Error> {
                integer(frame, stringify!($ty))
            }
        })*
    };
}
// Not `u8`: a `Vec<u8>` is bytes, not a list of numbers.
integers!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

impl FromFrame for f64 {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        let frame = plain(frame);
        let value = match &frame {
            Frame::Double(d) => Some(*d),
            Frame::Integer(n) => Some(*n as f64),
            Frame::SimpleString(s) | Frame::BulkString(s) | Frame::BigNumber(s) => {
                std::str::from_utf8(s).ok().and_then(|s| match s {
                    "inf" | "+inf" => Some(f64::INFINITY),
                    "-inf" => Some(f64::NEG_INFINITY),
                    s => s.parse().ok(),
                })
            }
            _ => None,
        };
        value.ok_or_else(|| server_error(&frame).unwrap_or_else(|| mismatch("f64", &frame)))
    }
}

impl FromFrame for f32 {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        f64::from_frame(frame).map(|d| d as f32)
    }
}

impl<T: FromFrame> FromFrame for Option<T> {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        let frame = plain(frame);
        if T::is_absent(&frame) {
            return Ok(None);
        }
        T::from_frame(frame).map(Some)
    }
}

impl<T: FromFrame> FromFrame for Vec<T> {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        T::from_items(items_of(frame, "an array")?)
    }
}

impl<T: FromFrame + Eq + Hash, S: BuildHasher + Default> FromFrame for HashSet<T, S> {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        Ok(Vec::<T>::from_frame(frame)?.into_iter().collect())
    }
}

impl<T: FromFrame + Ord> FromFrame for BTreeSet<T> {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        Ok(Vec::<T>::from_frame(frame)?.into_iter().collect())
    }
}

impl<K: FromFrame + Eq + Hash, V: FromFrame, S: BuildHasher + Default> FromFrame
    for HashMap<K, V, S>
{
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        pairs_of(frame, "a map")?
            .into_iter()
            .map(|(k, v)| Ok((K::from_frame(k)?, V::from_frame(v)?)))
            .collect()
    }
}

impl<K: FromFrame + Ord, V: FromFrame> FromFrame for BTreeMap<K, V> {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        pairs_of(frame, "a map")?
            .into_iter()
            .map(|(k, v)| Ok((K::from_frame(k)?, V::from_frame(v)?)))
            .collect()
    }
}

macro_rules! tuples {
    ($count:literal: $($name:ident)+) => {
        impl<$($name: FromFrame),+> FromFrame for ($($name,)+) {
            fn from_frame(frame: Frame) -> Result<Self, Error> {
                let items = items_of(frame, concat!("an array of ", $count))?;
                if items.len() != $count {
                    return Err(Error::Conversion {
                        expected: concat!("an array of ", $count),
                        got: format!("an array of {}", items.len()),
                    });
                }
                let mut items = items.into_iter();
                Ok(($($name::from_frame(items.next().unwrap_or(Frame::Null))?,)+))
            }

            fn is_absent(frame: &Frame) -> bool {
                frame.is_null() || matches!(plain_ref(frame), Frame::Array(items) if items.is_empty())
            }

            /// Arrays of `$count` (RESP3's pairs), or a flat array taken
            /// `$count` at a time (RESP2's).
            #[allow(clippy::modulo_one)] // the same body for every size
            fn from_items(items: Vec<Frame>) -> Result<Vec<Self>, Error> {
                let grouped = items
                    .iter()
                    .all(|item| matches!(plain_ref(item), Frame::Array(group) if group.len() == $count));
                if grouped {
                    return items.into_iter().map(Self::from_frame).collect();
                }
                if items.len() % $count != 0 {
                    return Err(Error::Conversion {
                        expected: concat!("an array in groups of ", $count),
                        got: format!("an array of {}", items.len()),
                    });
                }
                let mut items = items.into_iter();
                let mut values = Vec::with_capacity(items.len() / $count);
                while items.len() > 0 {
                    values.push(($($name::from_frame(items.next().unwrap_or(Frame::Null))?,)+));
                }
                Ok(values)
            }
        }
    };
}

/// The frame without its attributes, borrowed.
fn plain_ref(frame: &Frame) -> &Frame {
    match frame {
        Frame::Attributed(attributed) => plain_ref(&attributed.frame),
        frame => frame,
    }
}

tuples!(1: A);
tuples!(2: A B);
tuples!(3: A B C);
tuples!(4: A B C D);
tuples!(5: A B C D E);
tuples!(6: A B C D E F);
tuples!(7: A B C D E F G);
tuples!(8: A B C D E F G H);
tuples!(9: A B C D E F G H I);
tuples!(10: A B C D E F G H I J);
tuples!(11: A B C D E F G H I J K);
tuples!(12: A B C D E F G H I J K L);

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values, exactly converted
mod tests {
    use super::FromFrame;
    use crate::error::Error;
    use redwire_resp::{Attributed, Frame};
    use std::collections::{BTreeMap, HashMap, HashSet};

    fn bulk(text: &str) -> Frame {
        Frame::BulkString(text.to_owned().into())
    }

    fn array(items: &[Frame]) -> Frame {
        Frame::Array(items.to_vec())
    }

    fn err_text<T: FromFrame + std::fmt::Debug>(frame: Frame) -> String {
        T::from_frame(frame).unwrap_err().to_string()
    }

    #[test]
    fn numbers_from_integers_and_their_text_out_of_range_refused() {
        assert_eq!(i64::from_frame(Frame::Integer(-7)).unwrap(), -7);
        assert_eq!(u32::from_frame(bulk("42")).unwrap(), 42);
        assert_eq!(
            err_text::<u16>(Frame::Integer(70_000)),
            "expected u16, got integer 70000"
        );
        assert!(err_text::<i64>(Frame::Null).starts_with("expected i64, got "));
        assert_eq!(f64::from_frame(bulk("-inf")).unwrap(), f64::NEG_INFINITY);
        assert_eq!(f64::from_frame(Frame::Double(2.5)).unwrap(), 2.5);
        assert_eq!(f64::from_frame(Frame::Integer(3)).unwrap(), 3.0);
        assert!(f64::from_frame(bulk("x")).is_err());
    }

    #[test]
    fn booleans_strings_and_nulls() {
        for (frame, expected) in [
            (Frame::Integer(1), true),
            (Frame::Integer(0), false),
            (Frame::Boolean(true), true),
            (Frame::SimpleString("OK".into()), true),
            (Frame::NullBulk, false),
            (bulk("0"), false),
        ] {
            assert_eq!(bool::from_frame(frame).unwrap(), expected);
        }
        assert!(bool::from_frame(bulk("maybe")).is_err());
        assert_eq!(String::from_frame(Frame::Integer(5)).unwrap(), "5");
        let verbatim = Frame::VerbatimString {
            format: *b"txt",
            text: "hi".into(),
        };
        assert_eq!(String::from_frame(verbatim).unwrap(), "hi");
        assert!(
            err_text::<String>(Frame::BulkString(vec![0xff, 0xfe].into())).ends_with("(not UTF-8)")
        );
        assert_eq!(Option::<String>::from_frame(Frame::Null).unwrap(), None);
        assert_eq!(Option::<String>::from_frame(Frame::NullBulk).unwrap(), None);
        assert_eq!(
            Option::<i64>::from_frame(Frame::Integer(1)).unwrap(),
            Some(1)
        );
        // Long payloads are cut in errors.
        let long = "x".repeat(100);
        assert!(err_text::<i64>(bulk(&long)).ends_with("xxx…\""));
    }

    #[test]
    fn resp2_and_resp3_shapes_read_the_same() {
        let flat = array(&[bulk("a"), bulk("1.5"), bulk("b"), bulk("2")]);
        let pairs = array(&[
            array(&[bulk("a"), Frame::Double(1.5)]),
            array(&[bulk("b"), Frame::Double(2.0)]),
        ]);
        let map = Frame::Map(vec![
            (bulk("a"), Frame::Double(1.5)),
            (bulk("b"), Frame::Double(2.0)),
        ]);
        let expected = vec![("a".to_owned(), 1.5), ("b".to_owned(), 2.0)];
        for frame in [&flat, &pairs, &map] {
            assert_eq!(
                Vec::<(String, f64)>::from_frame(frame.clone()).unwrap(),
                expected
            );
            let as_map: BTreeMap<String, f64> = FromFrame::from_frame(frame.clone()).unwrap();
            assert_eq!(as_map.into_iter().collect::<Vec<_>>(), expected);
        }
        let set = Frame::Set(vec![bulk("x"), bulk("y")]);
        let members: HashSet<String> = FromFrame::from_frame(set).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(
            Vec::<String>::from_frame(Frame::NullArray).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn shapes_that_do_not_fit_are_errors_naming_both_sides() {
        let odd = array(&[bulk("a"), bulk("1"), bulk("b")]);
        assert!(HashMap::<String, i64>::from_frame(odd.clone()).is_err());
        assert_eq!(
            err_text::<Vec<(String, i64)>>(odd),
            "expected an array in groups of 2, got an array of 3"
        );
        assert_eq!(
            err_text::<(i64, i64)>(array(&[Frame::Integer(1)])),
            "expected an array of 2, got an array of 1"
        );
        assert_eq!(
            err_text::<Vec<i64>>(bulk("abc")),
            "expected an array, got bulk string \"abc\""
        );
    }

    #[test]
    fn an_error_inside_an_array_is_a_server_error_and_attributes_are_skipped() {
        let exec = array(&[Frame::Integer(1), Frame::Error("WRONGTYPE no".into())]);
        let err = <(i64, i64)>::from_frame(exec.clone()).unwrap_err();
        assert!(
            matches!(&err, Error::Server(e) if e.code() == "WRONGTYPE"),
            "{err}"
        );
        // Kept as it came when a frame is asked for.
        assert_eq!(Vec::<Frame>::from_frame(exec).unwrap().len(), 2);
        let attributed = Frame::Attributed(Box::new(Attributed {
            attributes: vec![(bulk("ttl"), Frame::Integer(3))],
            frame: Frame::Integer(9),
        }));
        assert_eq!(i64::from_frame(attributed).unwrap(), 9);
    }

    #[test]
    fn whole_doubles_are_integers_and_an_empty_array_is_no_tuple() {
        assert_eq!(i64::from_frame(Frame::Double(3.0)).unwrap(), 3);
        assert!(i64::from_frame(Frame::Double(3.5)).is_err());
        assert!(i64::from_frame(Frame::Double(f64::INFINITY)).is_err());
        let resp3 = array(&[array(&[bulk("m"), Frame::Double(2.0)])]);
        let resp2 = array(&[bulk("m"), bulk("2")]);
        for frame in [resp3, resp2] {
            assert_eq!(
                Vec::<(String, i64)>::from_frame(frame).unwrap(),
                [("m".to_owned(), 2)]
            );
        }
        assert_eq!(
            Option::<(String, f64)>::from_frame(array(&[])).unwrap(),
            None
        );
        assert_eq!(
            Option::<Vec<String>>::from_frame(array(&[])).unwrap(),
            Some(Vec::new())
        );
    }
}

/// A reply read as JSON into `T`, or a JSON value written as an argument
/// (feature `serde`). The reply's text (a string's, or an integer's or a
/// double's digits) is parsed; one that is not JSON for `T`, or an
/// aggregate, is an [`Error::Conversion`] naming `T` and what came; so is a
/// null reply (read `Option<Json<T>>` for a key that may be missing).
///
/// ```no_run
/// use redwire::{Client, Commands, Json};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct User {
///     name: String,
///     age: u32,
/// }
///
/// # async fn demo(client: &Client) -> Result<(), redwire::Error> {
/// let user = serde_json::json!({ "name": "ada", "age": 36 });
/// client.set::<()>("user:1", Json(user)).await?;
/// let Json(user): Json<User> = client.get("user:1").await?;
/// assert_eq!((user.name.as_str(), user.age), ("ada", 36));
/// let missing: Option<Json<User>> = client.get("user:2").await?;
/// assert!(missing.is_none());
/// # Ok(()) }
/// ```
#[cfg(feature = "serde")]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

#[cfg(feature = "serde")]
impl<T: serde::de::DeserializeOwned> FromFrame for Json<T> {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        let expected = std::any::type_name::<T>();
        let bytes = bytes_of(frame, expected)?;
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(|e| Error::Conversion {
                expected,
                got: format!("{} (JSON: {e})", describe(&Frame::BulkString(bytes))),
            })
    }
}

/// A JSON value as one argument: its text. (A value of another type is
/// made one with `serde_json::to_value`, which says what cannot be.)
#[cfg(feature = "serde")]
impl redwire_resp::Args for Json<serde_json::Value> {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        f(self.0.to_string().as_bytes());
    }
}

#[cfg(all(test, feature = "serde"))]
mod json_tests {
    use super::{FromFrame, Json};
    use crate::error::Error;
    use redwire_resp::{Args, Frame};

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Point {
        x: i32,
        y: i32,
    }

    #[test]
    fn a_json_reply_reads_into_its_type_from_resp2_and_resp3_strings() {
        let text = br#"{"x":1,"y":-2}"#;
        for frame in [
            Frame::BulkString(text[..].into()),
            Frame::VerbatimString {
                format: *b"txt",
                text: text[..].into(),
            },
        ] {
            let Json(point) = Json::<Point>::from_frame(frame).unwrap();
            assert_eq!(point, Point { x: 1, y: -2 });
        }
        assert_eq!(
            Option::<Json<Point>>::from_frame(Frame::Null).unwrap(),
            None
        );
    }

    #[test]
    fn what_is_not_json_for_the_type_is_a_conversion_error_naming_both() {
        let err =
            Json::<Point>::from_frame(Frame::BulkString(br#"{"x":1}"#[..].into())).unwrap_err();
        let Error::Conversion { expected, got } = &err else {
            panic!("{err}")
        };
        assert!(expected.ends_with("Point"), "{expected}");
        assert!(
            got.starts_with(r#"bulk string "{\"x\":1}" (JSON: missing field `y`"#),
            "{got}"
        );
        assert!(Json::<Point>::from_frame(Frame::Array(vec![])).is_err());
    }

    #[test]
    fn a_json_value_is_one_argument_its_text() {
        let mut args = Vec::new();
        Json(serde_json::json!({"a": [1, "b"]})).for_each_arg(&mut |a| args.push(a.to_vec()));
        assert_eq!(args, vec![br#"{"a":[1,"b"]}"#.to_vec()]);
    }
}
