//! The values some commands' replies hold: a stream's entries, `INFO`'s
//! fields.

use std::collections::BTreeMap;

use redwire_resp::{Frame, Payload};

use crate::error::Error;
use crate::reply::{mismatch, FromFrame};

/// One entry of a stream: its id and its fields, in order.
///
/// ```
/// use redwire::{Frame, FromFrame, StreamEntry};
///
/// let bulk = |s: &'static str| Frame::BulkString(s.into());
/// let reply = Frame::Array(vec![
///     bulk("1700000000000-0"),
///     Frame::Array(vec![bulk("temp"), bulk("21.5")]),
/// ]);
/// let entry = StreamEntry::from_frame(reply)?;
/// assert_eq!(entry.id, "1700000000000-0");
/// assert_eq!(entry.get::<f64>("temp")?, Some(21.5));
/// # Ok::<(), redwire::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamEntry {
    /// Its id, `milliseconds-sequence`.
    pub id: String,
    /// Its fields and values, in the order they were added.
    pub fields: Vec<(Payload, Payload)>,
}

impl StreamEntry {
    /// The value of `field` as `T`, `None` when the entry has no such field.
    pub fn get<T: FromFrame>(&self, field: &str) -> Result<Option<T>, Error> {
        self.fields
            .iter()
            .find(|(name, _)| name[..] == *field.as_bytes())
            .map(|(_, value)| T::from_frame(Frame::BulkString(value.clone())))
            .transpose()
    }
}

impl FromFrame for StreamEntry {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        let (id, fields): (String, Option<Vec<(Payload, Payload)>>) = FromFrame::from_frame(frame)?;
        Ok(Self {
            id,
            fields: fields.unwrap_or_default(),
        })
    }
}

/// `INFO`'s reply, read: each section's fields by name, every value as
/// the text the server sent (`"7.0.15"`, `"1"`, `"keys=1,expires=0"`).
///
/// ```
/// use redwire::{Frame, FromFrame, Info};
///
/// let text = "# Server\r\nredis_version:7.2.4\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=0\r\n";
/// let info = Info::from_frame(Frame::BulkString(text.into()))?;
/// assert_eq!(info.get("redis_version"), Some("7.2.4"));
/// assert_eq!(info.section("keyspace").and_then(|s| s.get("db0")).map(String::as_str), Some("keys=3,expires=0"));
/// # Ok::<(), redwire::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// Sections by lower-case name, each field by name.
    sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Info {
    /// A field, in whichever section it is.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.sections
            .values()
            .find_map(|fields| fields.get(field))
            .map(String::as_str)
    }

    /// A section's fields (`"server"`, `"memory"`, `"keyspace"`, …).
    pub fn section(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.sections.get(&name.to_ascii_lowercase())
    }
}

impl FromFrame for Info {
    fn from_frame(frame: Frame) -> Result<Self, Error> {
        let text = match &frame {
            Frame::BulkString(b) | Frame::VerbatimString { text: b, .. } => {
                String::from_utf8_lossy(b).into_owned()
            }
            other => return Err(mismatch("INFO's text", other)),
        };
        let mut info = Self::default();
        let mut section = String::new();
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('#') {
                section = name.trim().to_ascii_lowercase();
            } else if let Some((field, value)) = line.split_once(':') {
                info.sections
                    .entry(section.clone())
                    .or_default()
                    .insert(field.to_owned(), value.to_owned());
            }
        }
        Ok(info)
    }
}
