//! The bytes a node puts on a Redis channel: a fixed 30-byte header, then the payload.
//!
//! ```text
//! 0      'O' (magic)
//! 1      version (1)
//! 2      kind: 0 topic text, 1 topic binary, 2 direct text, 3 direct binary, 4 presence
//! 3      reserved (0)
//! 4..8   origin node id (big endian)
//! 8..12  origin instance (random per process: tells a restarted node from its predecessor)
//! 12..16 sequence epoch (the origin starts numbering again when it bumps this)
//! 16..24 sequence number per (origin, channel), from 1
//! 24..32 connection id: the sender to skip (topic; 0 = none) or the target (direct)
//! 32..   payload (presence: u32 count, then the group name; no name = the node is leaving)
//! ```
//!
//! A message is encoded once by the publishing node and decoded once by every receiving node;
//! the receiving hub then shares the payload bytes across its local recipients.

use bytes::Bytes;

use crate::event::{ConnId, Payload, Utf8Bytes};

const MAGIC: u8 = b'O';
const VERSION: u8 = 1;
/// Size of the header in bytes.
pub const HEADER_LEN: usize = 32;

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A route broadcast/relay or group publish.
    Topic,
    /// A message for one connection (on a node's inbox channel).
    Direct,
    /// A node's member count of one group.
    Presence,
}

/// The fixed part of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// What the frame carries.
    pub kind: Kind,
    /// Binary (true) or text payload (topic and direct frames).
    pub binary: bool,
    /// Node id of the publisher.
    pub node: u32,
    /// Random id of the publisher's process.
    pub instance: u32,
    /// Sequence epoch of the publisher.
    pub epoch: u32,
    /// Sequence number of this frame on its channel.
    pub seq: u64,
    /// Except (topic) or target (direct) connection; 0 = none.
    pub conn: ConnId,
}

impl Header {
    fn kind_byte(&self) -> u8 {
        match (self.kind, self.binary) {
            (Kind::Topic, false) => 0,
            (Kind::Topic, true) => 1,
            (Kind::Direct, false) => 2,
            (Kind::Direct, true) => 3,
            (Kind::Presence, _) => 4,
        }
    }
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the header.
    Short,
    /// Not an omnisock frame, or a version this node does not know.
    Foreign,
    /// Unknown kind byte.
    Kind(u8),
    /// A text frame whose payload is not UTF-8.
    Utf8,
    /// A presence frame with a malformed body.
    Presence,
}

/// Encodes `header` + `body` into one buffer.
pub fn encode(header: &Header, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(MAGIC);
    out.push(VERSION);
    out.push(header.kind_byte());
    out.push(0);
    out.extend_from_slice(&header.node.to_be_bytes());
    out.extend_from_slice(&header.instance.to_be_bytes());
    out.extend_from_slice(&header.epoch.to_be_bytes());
    out.extend_from_slice(&header.seq.to_be_bytes());
    out.extend_from_slice(&header.conn.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Encodes a message payload with `header` (whose `binary` must match the payload).
pub fn encode_payload(header: &Header, payload: &Payload) -> Vec<u8> {
    encode(header, payload.as_bytes())
}

/// Body of a presence frame.
pub fn presence_body(group: &str, count: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(4 + group.len());
    b.extend_from_slice(&count.to_be_bytes());
    b.extend_from_slice(group.as_bytes());
    b
}

/// Decodes the header of a frame; the body is `&frame[HEADER_LEN..]`.
pub fn decode_header(frame: &[u8]) -> Result<Header, DecodeError> {
    if frame.len() < HEADER_LEN {
        return Err(DecodeError::Short);
    }
    if frame[0] != MAGIC || frame[1] != VERSION {
        return Err(DecodeError::Foreign);
    }
    let (kind, binary) = match frame[2] {
        0 => (Kind::Topic, false),
        1 => (Kind::Topic, true),
        2 => (Kind::Direct, false),
        3 => (Kind::Direct, true),
        4 => (Kind::Presence, false),
        k => return Err(DecodeError::Kind(k)),
    };
    let u32_at = |i: usize| u32::from_be_bytes(frame[i..i + 4].try_into().expect("4 bytes"));
    let u64_at = |i: usize| u64::from_be_bytes(frame[i..i + 8].try_into().expect("8 bytes"));
    Ok(Header { kind, binary, node: u32_at(4), instance: u32_at(8), epoch: u32_at(12), seq: u64_at(16), conn: u64_at(24) })
}

/// The payload of a topic or direct frame (one copy out of the Redis buffer; text is checked
/// once here).
pub fn decode_payload(header: &Header, frame: &[u8]) -> Result<Payload, DecodeError> {
    let body = Bytes::copy_from_slice(&frame[HEADER_LEN.min(frame.len())..]);
    if header.binary {
        Ok(Payload::Binary(body))
    } else {
        Utf8Bytes::try_from(body).map(Payload::Text).map_err(|_| DecodeError::Utf8)
    }
}

/// The group and count of a presence frame (an empty group: the node is leaving).
pub fn decode_presence(frame: &[u8]) -> Result<(String, u32), DecodeError> {
    let body = frame.get(HEADER_LEN..).ok_or(DecodeError::Short)?;
    if body.len() < 4 {
        return Err(DecodeError::Presence);
    }
    let count = u32::from_be_bytes(body[..4].try_into().expect("4 bytes"));
    let group = std::str::from_utf8(&body[4..]).map_err(|_| DecodeError::Presence)?;
    Ok((group.to_string(), count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: Kind, binary: bool) -> Header {
        Header { kind, binary, node: 0x00ab_cdef, instance: 0xdead_beef, epoch: 7, seq: u64::MAX - 1, conn: (5u64 << 40) | 42 }
    }

    #[test]
    fn topic_text_round_trip() {
        let h = header(Kind::Topic, false);
        let frame = encode_payload(&h, &Payload::Text("héllo".into()));
        assert_eq!(frame.len(), HEADER_LEN + "héllo".len());
        let back = decode_header(&frame).unwrap();
        assert_eq!(back, h);
        assert_eq!(decode_payload(&back, &frame).unwrap(), Payload::Text("héllo".into()));
    }

    #[test]
    fn direct_binary_round_trip_and_empty_payload() {
        let h = header(Kind::Direct, true);
        let data = Bytes::from_static(&[0, 1, 2, 255]);
        let frame = encode_payload(&h, &Payload::Binary(data.clone()));
        let back = decode_header(&frame).unwrap();
        assert_eq!(back.kind, Kind::Direct);
        assert!(back.binary);
        assert_eq!(back.conn, (5u64 << 40) | 42);
        assert_eq!(decode_payload(&back, &frame).unwrap(), Payload::Binary(data));
        let empty = encode_payload(&h, &Payload::Binary(Bytes::new()));
        assert_eq!(empty.len(), HEADER_LEN);
        assert_eq!(decode_payload(&decode_header(&empty).unwrap(), &empty).unwrap(), Payload::Binary(Bytes::new()));
    }

    #[test]
    fn every_kind_byte_is_distinct() {
        let mut seen = std::collections::HashSet::new();
        for (k, b) in [(Kind::Topic, false), (Kind::Topic, true), (Kind::Direct, false), (Kind::Direct, true), (Kind::Presence, false)] {
            let frame = encode(&header(k, b), b"");
            assert!(seen.insert(frame[2]));
            let back = decode_header(&frame).unwrap();
            assert_eq!((back.kind, back.binary), (k, b));
        }
    }

    #[test]
    fn presence_round_trip() {
        let frame = encode(&header(Kind::Presence, false), &presence_body("room/1", 1234));
        assert_eq!(decode_header(&frame).unwrap().kind, Kind::Presence);
        assert_eq!(decode_presence(&frame).unwrap(), ("room/1".to_string(), 1234));
        let leaving = encode(&header(Kind::Presence, false), &presence_body("", 0));
        assert_eq!(decode_presence(&leaving).unwrap(), (String::new(), 0));
        let bad = encode(&header(Kind::Presence, false), &[0, 0]);
        assert_eq!(decode_presence(&bad), Err(DecodeError::Presence));
    }

    #[test]
    fn rejects_short_foreign_unknown_and_bad_utf8() {
        assert_eq!(decode_header(b"O\x01"), Err(DecodeError::Short));
        let mut frame = encode(&header(Kind::Topic, false), b"x");
        frame[0] = b'{';
        assert_eq!(decode_header(&frame), Err(DecodeError::Foreign));
        frame[0] = MAGIC;
        frame[1] = 2;
        assert_eq!(decode_header(&frame), Err(DecodeError::Foreign));
        frame[1] = VERSION;
        frame[2] = 9;
        assert_eq!(decode_header(&frame), Err(DecodeError::Kind(9)));
        let bad = encode(&header(Kind::Topic, false), &[0xff, 0xfe]);
        assert_eq!(decode_payload(&decode_header(&bad).unwrap(), &bad), Err(DecodeError::Utf8));
    }
}
