//! Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its hash tag,
//! modulo 16384.

/// The number of slots in a Redis Cluster.
pub const SLOTS: u16 = 16384;

/// CRC16 (XMODEM: polynomial 0x1021, initial 0), one byte at a time.
const CRC16: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        // In range: `byte` < 256.
        #[allow(clippy::cast_possible_truncation)]
        let mut crc = (byte as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ 0x1021
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
};

/// The cluster slot of `key`: when the key holds a non-empty `{hash tag}`
/// (the first `{` and the first `}` after it), only the tag counts, so keys
/// sharing a tag share a slot.
///
/// ```
/// use redwire::key_slot;
///
/// assert_eq!(key_slot(b"123456789"), 12739);
/// assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"{user1000}.followers"));
/// ```
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = key
        .iter()
        .position(|b| *b == b'{')
        .and_then(|open| {
            let tag = &key[open + 1..];
            tag.iter()
                .position(|b| *b == b'}')
                .filter(|len| *len > 0)
                .map(|len| &tag[..len])
        })
        .unwrap_or(key);
    let crc = hashed.iter().fold(0u16, |crc, byte| {
        (crc << 8) ^ CRC16[usize::from((crc >> 8) ^ u16::from(*byte)) & 0xff]
    });
    crc % SLOTS
}

#[cfg(test)]
mod tests {
    use super::key_slot;

    #[test]
    fn slots_follow_the_hash_tag_rules() {
        // CRC16/XMODEM's check value.
        assert_eq!(key_slot(b"123456789"), 0x31C3);
        // The first `{` and the first `}` after it delimit the tag.
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
        // An empty tag or an unclosed one: the whole key.
        assert_ne!(key_slot(b"{}123456789"), key_slot(b"123456789"));
        assert_ne!(key_slot(b"{unclosed"), key_slot(b"unclosed"));
    }
}
