//! Hard limits applied while decoding untrusted input.

/// The deepest nesting [`Limits::max_depth`] can be set to.
///
/// Building, encoding and dropping a frame recurse once per level, so the
/// depth a decoder accepts is capped to keep that recursion small on any
/// thread's stack.
pub const MAX_DEPTH_CAP: usize = 1024;

/// Limits a [`Decoder`](crate::Decoder) enforces on every frame.
///
/// Each limit turns hostile or corrupt input into a typed
/// [`DecodeError`](crate::DecodeError) as soon as the offending header is
/// read, before any memory is reserved for it. The defaults accept
/// everything a Redis or Valkey server sends in practice.
///
/// ```
/// use redwire_resp::Limits;
///
/// let limits = Limits::default().max_bulk_len(1 << 20).max_depth(16);
/// assert_eq!(limits.bulk_len(), 1 << 20);
/// assert_eq!(limits.depth(), 16);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    depth: usize,
    bulk_len: usize,
    aggregate_len: usize,
    frame_elements: usize,
    line_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            depth: 128,
            bulk_len: 512 * 1024 * 1024,
            aggregate_len: 1 << 30,
            frame_elements: 1 << 30,
            line_len: 64 * 1024,
        }
    }
}

impl Limits {
    /// Deepest nesting of aggregates (arrays, maps, sets, pushes, attributes,
    /// streamed strings). Default 128; values above [`MAX_DEPTH_CAP`] are
    /// treated as [`MAX_DEPTH_CAP`].
    #[must_use]
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.depth = depth.min(MAX_DEPTH_CAP);
        self
    }

    /// Longest bulk string, bulk error, verbatim string or streamed-string
    /// chunk, in bytes. Default 512 MiB, the server's `proto-max-bulk-len`.
    /// Values above `isize::MAX / 2` are treated as `isize::MAX / 2`, so
    /// that a payload's end offset never overflows.
    #[must_use]
    pub fn max_bulk_len(mut self, len: usize) -> Self {
        self.bulk_len = len.min(isize::MAX as usize / 2);
        self
    }

    /// Most elements one aggregate may announce (a map counts its pairs).
    /// Default 2^30.
    #[must_use]
    pub fn max_aggregate_len(mut self, len: usize) -> Self {
        self.aggregate_len = len;
        self
    }

    /// Most values in one frame, counted over every level, map keys and
    /// attribute entries included. Default 2^30.
    #[must_use]
    pub fn max_frame_elements(mut self, count: usize) -> Self {
        self.frame_elements = count;
        self
    }

    /// Longest line (simple string, error, number, or header), not counting
    /// its CRLF. Default 64 KiB.
    #[must_use]
    pub fn max_line_len(mut self, len: usize) -> Self {
        self.line_len = len;
        self
    }

    /// The nesting limit in force.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The bulk length limit in force.
    pub fn bulk_len(&self) -> usize {
        self.bulk_len
    }

    /// The per-aggregate element limit in force.
    pub fn aggregate_len(&self) -> usize {
        self.aggregate_len
    }

    /// The per-frame element limit in force.
    pub fn frame_elements(&self) -> usize {
        self.frame_elements
    }

    /// The line length limit in force.
    pub fn line_len(&self) -> usize {
        self.line_len
    }
}
