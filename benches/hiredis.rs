//! A minimal FFI shim over Debian's libhiredis reader, to measure its parser
//! on the same inputs. The library (`libhiredis.so`, from `libhiredis-dev`)
//! is loaded when the bench runs, so the benches build and lint the same
//! with or without it, and installing or removing it needs no rebuild.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

use libloading::Library;

#[repr(C)]
struct RedisReader {
    _opaque: [u8; 0],
}

type Create = unsafe extern "C" fn() -> *mut RedisReader;
type Free = unsafe extern "C" fn(*mut RedisReader);
type Feed = unsafe extern "C" fn(*mut RedisReader, *const c_char, usize) -> c_int;
type GetReply = unsafe extern "C" fn(*mut RedisReader, *mut *mut c_void) -> c_int;
type FreeReply = unsafe extern "C" fn(*mut c_void);

const REDIS_OK: c_int = 0;

/// The reader functions of a loaded libhiredis.
pub(crate) struct Hiredis {
    create: Create,
    free: Free,
    feed: Feed,
    get_reply: GetReply,
    free_reply: FreeReply,
    /// Keeps the functions above loaded.
    _library: Library,
}

impl Hiredis {
    /// The library, loaded once; `None` when it is not installed (said once
    /// on stderr: the hiredis rows are then skipped).
    pub(crate) fn get() -> Option<&'static Self> {
        static LOADED: OnceLock<Option<Hiredis>> = OnceLock::new();
        LOADED
            .get_or_init(|| match Self::load() {
                Ok(hiredis) => Some(hiredis),
                Err(e) => {
                    eprintln!("hiredis rows skipped: {e} (apt-get install libhiredis-dev)");
                    None
                }
            })
            .as_ref()
    }

    fn load() -> Result<Self, libloading::Error> {
        // SAFETY: libhiredis has no load-time initialisers with
        // preconditions, and each symbol is read with the type of its
        // declaration in hiredis' read.h and hiredis.h.
        unsafe {
            let library = Library::new("libhiredis.so")?;
            let create: Create = *library.get(b"redisReaderCreate\0")?;
            let free: Free = *library.get(b"redisReaderFree\0")?;
            let feed: Feed = *library.get(b"redisReaderFeed\0")?;
            let get_reply: GetReply = *library.get(b"redisReaderGetReply\0")?;
            let free_reply: FreeReply = *library.get(b"freeReplyObject\0")?;
            Ok(Self {
                create,
                free,
                feed,
                get_reply,
                free_reply,
                _library: library,
            })
        }
    }

    /// A new reader.
    pub(crate) fn reader(&'static self) -> Reader {
        // SAFETY: redisReaderCreate has no preconditions; it returns a fresh
        // reader or NULL on allocation failure, checked here.
        let reader = unsafe { (self.create)() };
        assert!(!reader.is_null(), "redisReaderCreate failed");
        Reader {
            hiredis: self,
            reader,
        }
    }
}

/// An owned hiredis reader.
pub(crate) struct Reader {
    hiredis: &'static Hiredis,
    reader: *mut RedisReader,
}

impl Reader {
    /// Appends bytes to the reader's buffer (hiredis copies them).
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        // SAFETY: self.reader is a live reader; the pointer and length
        // describe `bytes`, which hiredis copies before returning.
        let status =
            unsafe { (self.hiredis.feed)(self.reader, bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(status, REDIS_OK, "redisReaderFeed failed");
    }

    /// Parses the next reply and frees it at once; whether one was complete.
    pub(crate) fn next_reply(&mut self) -> bool {
        let mut reply: *mut c_void = std::ptr::null_mut();
        // SAFETY: self.reader is a live reader and `reply` a valid out-pointer.
        let status = unsafe { (self.hiredis.get_reply)(self.reader, &raw mut reply) };
        assert_eq!(status, REDIS_OK, "hiredis protocol error");
        if reply.is_null() {
            return false;
        }
        // SAFETY: `reply` was just returned by this reader with the default
        // reply functions, so freeReplyObject owns and frees it.
        unsafe { (self.hiredis.free_reply)(reply) };
        true
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // SAFETY: self.reader came from redisReaderCreate and is freed only here.
        unsafe { (self.hiredis.free)(self.reader) };
    }
}
