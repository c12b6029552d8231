//! The stream protocol's frames: `size:u32 key:u16 version:u16 fields…`, big-endian;
//! strings are `len:i16 bytes` (-1: null), byte strings `len:i32 bytes`, arrays `count:i32
//! items`. Responses carry the request's key with the high bit set.

use std::io::{Read, Write};

/// Command keys (requests; a response is `key | RESPONSE`).
pub mod key {
    pub const DECLARE_PUBLISHER: u16 = 1;
    pub const PUBLISH: u16 = 2;
    pub const PUBLISH_CONFIRM: u16 = 3;
    pub const PUBLISH_ERROR: u16 = 4;
    pub const QUERY_PUBLISHER_SEQUENCE: u16 = 5;
    pub const DELETE_PUBLISHER: u16 = 6;
    pub const SUBSCRIBE: u16 = 7;
    pub const DELIVER: u16 = 8;
    pub const CREDIT: u16 = 9;
    pub const STORE_OFFSET: u16 = 10;
    pub const UNSUBSCRIBE: u16 = 12;
    pub const QUERY_OFFSET: u16 = 11;
    pub const CREATE: u16 = 13;
    pub const DELETE: u16 = 14;
    pub const METADATA: u16 = 15;
    pub const METADATA_UPDATE: u16 = 16;
    pub const PEER_PROPERTIES: u16 = 17;
    pub const SASL_HANDSHAKE: u16 = 18;
    pub const SASL_AUTHENTICATE: u16 = 19;
    pub const TUNE: u16 = 20;
    pub const OPEN: u16 = 21;
    pub const CLOSE: u16 = 22;
    pub const HEARTBEAT: u16 = 23;
    pub const STREAM_STATS: u16 = 28;
    pub const RESPONSE: u16 = 0x8000;
}

/// Response codes.
pub mod code {
    pub const OK: u16 = 1;
    pub const STREAM_DOES_NOT_EXIST: u16 = 2;
    pub const STREAM_ALREADY_EXISTS: u16 = 5;
    pub const AUTHENTICATION_FAILURE: u16 = 8;
    pub const VIRTUAL_HOST_ACCESS_FAILURE: u16 = 12;
    pub const ACCESS_REFUSED: u16 = 16;
    pub const NO_OFFSET: u16 = 19;
}

/// What a response code means, for error messages.
pub fn describe(code: u16) -> &'static str {
    match code {
        1 => "ok",
        2 => "stream does not exist",
        3 => "subscription id already exists",
        4 => "subscription id does not exist",
        5 => "stream already exists",
        6 => "stream not available",
        7 => "SASL mechanism not supported",
        8 => "authentication failure (user or password)",
        9 => "SASL error",
        10 => "SASL challenge",
        11 => "this user may only connect from localhost",
        12 => "no access to the virtual host",
        13 => "unknown frame",
        14 => "frame too large",
        15 => "internal error",
        16 => "access refused",
        17 => "precondition failed (an argument the broker does not accept)",
        18 => "publisher does not exist",
        19 => "no offset stored",
        _ => "unknown response code",
    }
}

/// The largest frame evt accepts before the broker tunes it (1 MiB, the brokers' default).
pub const FRAME_MAX: u32 = 1 << 20;
/// The largest frame evt agrees to, whatever the broker proposes (8 MiB).
pub const MAX_FRAME: u32 = 8 << 20;

/// A frame being built.
pub struct Frame(Vec<u8>);

impl Frame {
    pub fn new(key: u16) -> Frame {
        let mut f = Frame(Vec::with_capacity(64));
        f.0.extend_from_slice(&[0; 4]);
        f.u16(key).u16(1)
    }
    pub fn u8(mut self, v: u8) -> Frame {
        self.0.push(v);
        self
    }
    pub fn u16(mut self, v: u16) -> Frame {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u32(mut self, v: u32) -> Frame {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i64(mut self, v: i64) -> Frame {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u64(mut self, v: u64) -> Frame {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn str(mut self, s: &str) -> Frame {
        let len = i16::try_from(s.len()).unwrap_or(i16::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0
            .extend_from_slice(&s.as_bytes()[..usize::try_from(len).unwrap_or(0)]);
        self
    }
    pub fn bytes(mut self, b: &[u8]) -> Frame {
        let len = i32::try_from(b.len()).unwrap_or(i32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(b);
        self
    }
    pub fn strs(self, items: &[&str]) -> Frame {
        let n = u32::try_from(items.len()).unwrap_or(0);
        items.iter().fold(self.u32(n), |f, s| f.str(s))
    }
    pub fn map(self, items: &[(&str, &str)]) -> Frame {
        let n = u32::try_from(items.len()).unwrap_or(0);
        items.iter().fold(self.u32(n), |f, (k, v)| f.str(k).str(v))
    }
    /// The frame with its size filled in.
    pub fn finish(mut self) -> Vec<u8> {
        let size = u32::try_from(self.0.len() - 4).unwrap_or(u32::MAX);
        self.0[..4].copy_from_slice(&size.to_be_bytes());
        self.0
    }
}

/// A received frame's fields, read in order.
pub struct Fields<'a> {
    pub key: u16,
    rest: &'a [u8],
}

/// A frame that ends too early or says more than it holds.
#[derive(Debug, thiserror::Error)]
#[error("a malformed frame from the broker (key {key:#06x}): {what}")]
pub struct Malformed {
    pub key: u16,
    pub what: &'static str,
}

impl<'a> Fields<'a> {
    /// A frame's body (after the size): key, version, fields.
    pub fn parse(body: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let mut f = Fields { key: 0, rest: body };
        f.key = f.u16()?;
        f.u16()?; // version
        Ok(f)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.rest.len() < n {
            return Err(Malformed {
                key: self.key,
                what: "it ends early",
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    pub fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16, Malformed> {
        Ok(u16::from_be_bytes(
            self.take(2)?.try_into().unwrap_or([0; 2]),
        ))
    }
    pub fn u32(&mut self) -> Result<u32, Malformed> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().unwrap_or([0; 4]),
        ))
    }
    pub fn u64(&mut self) -> Result<u64, Malformed> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().unwrap_or([0; 8]),
        ))
    }
    pub fn i32(&mut self) -> Result<i32, Malformed> {
        Ok(i32::from_be_bytes(
            self.take(4)?.try_into().unwrap_or([0; 4]),
        ))
    }
    pub fn i64(&mut self) -> Result<i64, Malformed> {
        Ok(i64::from_be_bytes(
            self.take(8)?.try_into().unwrap_or([0; 8]),
        ))
    }
    /// A string (`None`: null), lossily decoded.
    pub fn str(&mut self) -> Result<Option<String>, Malformed> {
        let len = i16::from_be_bytes(self.take(2)?.try_into().unwrap_or([0; 2]));
        if len < 0 {
            return Ok(None);
        }
        let bytes = self.take(usize::try_from(len).unwrap_or(0))?;
        Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
    }
    pub fn bytes(&mut self) -> Result<Option<&'a [u8]>, Malformed> {
        let len = i32::from_be_bytes(self.take(4)?.try_into().unwrap_or([0; 4]));
        if len < 0 {
            return Ok(None);
        }
        self.take(usize::try_from(len).unwrap_or(0)).map(Some)
    }
    /// An array's count, checked against what is left (each item at least `min` bytes).
    pub fn count(&mut self, min: usize) -> Result<usize, Malformed> {
        let n = usize::try_from(self.u32()?).unwrap_or(usize::MAX);
        if n.saturating_mul(min) > self.rest.len() {
            return Err(Malformed {
                key: self.key,
                what: "an array longer than the frame",
            });
        }
        Ok(n)
    }
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }
    /// The next `n` bytes as they are.
    pub fn raw(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        self.take(n)
    }
}

/// Writes one frame.
pub fn send(out: &mut impl Write, frame: Vec<u8>) -> std::io::Result<()> {
    out.write_all(&frame)?;
    out.flush()
}

/// Reads one frame's body (after its size), refusing frames larger than `max`.
pub fn receive(input: &mut impl Read, max: u32) -> std::io::Result<Vec<u8>> {
    Incoming::default().receive(input, max)
}

/// A frame being received: what has arrived of it so far. A read that times out inside a
/// frame keeps what it got, and the next [`Incoming::receive`] goes on from there, so short
/// waits (a reader checking for Ctrl-C) never lose a byte.
#[derive(Debug, Default)]
pub struct Incoming {
    size: [u8; 4],
    size_read: usize,
    body: Vec<u8>,
    body_read: usize,
}

impl Incoming {
    /// The next frame's body; a timeout (`WouldBlock`/`TimedOut`) leaves the partial frame
    /// here for the next call.
    pub fn receive(&mut self, input: &mut impl Read, max: u32) -> std::io::Result<Vec<u8>> {
        while self.size_read < 4 {
            let n = read_some(input, &mut self.size[self.size_read..])?;
            self.size_read += n;
            if self.size_read == 4 {
                let size = u32::from_be_bytes(self.size);
                if size > max.max(FRAME_MAX) || size < 4 {
                    self.size_read = 0;
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "the broker sent a frame of {size} bytes (at most {max} were agreed)"
                        ),
                    ));
                }
                self.body = vec![0u8; size as usize];
                self.body_read = 0;
            }
        }
        while self.body_read < self.body.len() {
            let n = read_some(input, &mut self.body[self.body_read..])?;
            self.body_read += n;
        }
        self.size_read = 0;
        Ok(std::mem::take(&mut self.body))
    }
}

/// One read; the end of the connection is an error.
fn read_some(input: &mut impl Read, into: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match input.read(into) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input that gives a few bytes, then times out, then goes on.
    struct Trickle(Vec<std::io::Result<Vec<u8>>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.first_mut() {
                None => Ok(0),
                Some(Err(_)) => Err(self.0.remove(0).unwrap_err()),
                Some(Ok(bytes)) => {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes[..n]);
                    bytes.drain(..n);
                    if bytes.is_empty() {
                        let _ = self.0.remove(0);
                    }
                    Ok(n)
                }
            }
        }
    }

    #[test]
    fn a_timeout_inside_a_frame_loses_nothing() {
        let frame = Frame::new(key::DELIVER).u32(42).bytes(b"payload").finish();
        let timeout = || Err(std::io::ErrorKind::WouldBlock.into());
        let mut input = Trickle(vec![
            Ok(frame[..2].to_vec()),
            timeout(),
            Ok(frame[2..9].to_vec()),
            timeout(),
            Ok(frame[9..].to_vec()),
        ]);
        let mut incoming = Incoming::default();
        for _ in 0..2 {
            let err = incoming.receive(&mut input, FRAME_MAX).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        }
        let body = incoming.receive(&mut input, FRAME_MAX).unwrap();
        let mut f = Fields::parse(&body).unwrap();
        assert_eq!(f.key, key::DELIVER);
        assert_eq!(f.u32().unwrap(), 42);
        assert_eq!(f.bytes().unwrap(), Some(&b"payload"[..]));
        let eof = incoming.receive(&mut input, FRAME_MAX).unwrap_err();
        assert_eq!(eof.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn frames_round_trip() {
        let frame = Frame::new(key::METADATA)
            .u32(7)
            .strs(&["orders", "payments"])
            .map(&[("product", "evt")])
            .bytes(b"\0guest\0guest")
            .u64(u64::MAX)
            .finish();
        let body = receive(&mut frame.as_slice(), FRAME_MAX).unwrap();
        let mut f = Fields::parse(&body).unwrap();
        assert_eq!(f.key, key::METADATA);
        assert_eq!(f.u32().unwrap(), 7);
        assert_eq!(f.count(2).unwrap(), 2);
        assert_eq!(f.str().unwrap().as_deref(), Some("orders"));
        assert_eq!(f.str().unwrap().as_deref(), Some("payments"));
        assert_eq!(f.count(4).unwrap(), 1);
        assert_eq!(f.str().unwrap().as_deref(), Some("product"));
        assert_eq!(f.str().unwrap().as_deref(), Some("evt"));
        assert_eq!(f.bytes().unwrap(), Some(&b"\0guest\0guest"[..]));
        assert_eq!(f.u64().unwrap(), u64::MAX);
        assert!(f.u8().is_err(), "nothing is left");
    }

    #[test]
    fn lying_frames_are_refused() {
        // An array count beyond the frame, and a frame larger than agreed.
        let frame = Frame::new(key::METADATA).u32(1_000_000).finish();
        let body = receive(&mut frame.as_slice(), FRAME_MAX).unwrap();
        let mut f = Fields::parse(&body).unwrap();
        assert!(f.count(2).is_err());
        let huge = [0xff, 0xff, 0xff, 0xff, 0, 0];
        assert!(receive(&mut &huge[..], FRAME_MAX).is_err());
    }
}
