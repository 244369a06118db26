//! A minimal FFI shim over Debian's libhiredis reader, to measure its parser
//! on the same inputs. Built only when `libhiredis-dev` is installed.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void};

#[repr(C)]
struct RedisReader {
    _opaque: [u8; 0],
}

unsafe extern "C" {
    fn redisReaderCreate() -> *mut RedisReader;
    fn redisReaderFree(reader: *mut RedisReader);
    fn redisReaderFeed(reader: *mut RedisReader, buf: *const c_char, len: usize) -> c_int;
    fn redisReaderGetReply(reader: *mut RedisReader, reply: *mut *mut c_void) -> c_int;
    fn freeReplyObject(reply: *mut c_void);
}

const REDIS_OK: c_int = 0;

/// An owned hiredis reader.
pub(crate) struct Reader(*mut RedisReader);

impl Reader {
    pub(crate) fn new() -> Self {
        // SAFETY: redisReaderCreate has no preconditions; it returns a fresh
        // reader or NULL on allocation failure, checked here.
        let reader = unsafe { redisReaderCreate() };
        assert!(!reader.is_null(), "redisReaderCreate failed");
        Self(reader)
    }

    /// Appends bytes to the reader's buffer (hiredis copies them).
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        // SAFETY: self.0 is a live reader; the pointer and length describe
        // `bytes`, which hiredis copies before returning.
        let status = unsafe { redisReaderFeed(self.0, bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(status, REDIS_OK, "redisReaderFeed failed");
    }

    /// Parses the next reply and frees it at once; whether one was complete.
    pub(crate) fn next_reply(&mut self) -> bool {
        let mut reply: *mut c_void = std::ptr::null_mut();
        // SAFETY: self.0 is a live reader and `reply` a valid out-pointer.
        let status = unsafe { redisReaderGetReply(self.0, &raw mut reply) };
        assert_eq!(status, REDIS_OK, "hiredis protocol error");
        if reply.is_null() {
            return false;
        }
        // SAFETY: `reply` was just returned by this reader with the default
        // reply functions, so freeReplyObject owns and frees it.
        unsafe { freeReplyObject(reply) };
        true
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // SAFETY: self.0 came from redisReaderCreate and is freed only here.
        unsafe { redisReaderFree(self.0) };
    }
}
