//! A synchronous client for the part of the RabbitMQ stream protocol evt needs: connect and
//! log in (PLAIN), then one request at a time. Blocking reads with the connection's timeout
//! fit evt's reader threads; no async runtime is involved.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::address::Address;
use super::wire::{self, code, key, Fields, Frame};
use crate::error::EvtError;

/// One logged-in connection to a node's stream listener.
pub struct Client {
    input: BufReader<TcpStream>,
    output: BufWriter<TcpStream>,
    correlation: u32,
    frame_max: u32,
    /// Shown in errors: the address without its password.
    shown: String,
    /// The broker's `product` and `version` peer properties (e.g. RabbitMQ, 3.10.8).
    server: (String, String),
    /// Deliveries that arrived while waiting for a response, in order.
    pending: std::collections::VecDeque<Vec<u8>>,
    /// The frame being received (kept across short waits).
    incoming: wire::Incoming,
    /// Publish confirmations and errors that arrived while waiting for something else.
    confirmations: Vec<Confirmation>,
    /// Streams named by metadata updates not yet asked for ([`Client::changed_streams`]).
    updated: Vec<String>,
}

/// The broker's answer for one published message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmation {
    pub publisher: u8,
    pub publishing_id: u64,
    /// `None`: stored (or already stored: a deduplicated resend); else the refusal's code.
    pub refused: Option<u16>,
}

/// A stream as the broker's metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub name: String,
    /// `None` when the stream exists; else why not (e.g. "stream does not exist").
    pub problem: Option<&'static str>,
    /// The leader node's advertised host and port.
    pub leader: Option<(String, u32)>,
    pub replicas: usize,
}

impl Client {
    /// Connects, logs in and opens the virtual host, each step waiting at most `timeout`.
    pub fn connect(address: &Address, timeout: Duration) -> anyhow::Result<Client> {
        let shown = address.to_string();
        let unreachable = |e: std::io::Error| {
            EvtError::broker(format!(
                "cannot reach RabbitMQ at {shown}: {e}; check -b, that the node runs and that its stream plugin listens there"
            ))
        };
        let socket = (address.host.as_str(), address.port)
            .to_socket_addrs()
            .map_err(unreachable)?
            .next()
            .ok_or_else(|| EvtError::broker(format!("{shown}: the host has no address")))?;
        let stream = TcpStream::connect_timeout(&socket, timeout).map_err(unreachable)?;
        stream.set_read_timeout(Some(timeout)).ok();
        stream.set_write_timeout(Some(timeout)).ok();
        stream.set_nodelay(true).ok();
        let mut client = Client {
            input: BufReader::with_capacity(64 * 1024, stream.try_clone()?),
            output: BufWriter::new(stream),
            correlation: 0,
            frame_max: wire::FRAME_MAX,
            shown,
            server: (String::new(), String::new()),
            pending: std::collections::VecDeque::new(),
            incoming: wire::Incoming::default(),
            confirmations: Vec::new(),
            updated: Vec::new(),
        };
        client.handshake(address)?;
        Ok(client)
    }

    fn handshake(&mut self, address: &Address) -> anyhow::Result<()> {
        let version = env!("CARGO_PKG_VERSION");
        let properties = [
            ("product", "evt"),
            ("version", version),
            ("connection_name", "evt"),
        ];
        let peer = self.call(key::PEER_PROPERTIES, |f| f.map(&properties))?;
        let mut f = after_status(&peer)?;
        for _ in 0..f.count(4)? {
            let (name, value) = (f.str()?.unwrap_or_default(), f.str()?.unwrap_or_default());
            match name.as_str() {
                "product" => self.server.0 = value,
                "version" => self.server.1 = value,
                _ => {}
            }
        }
        let mechanisms = self.call(key::SASL_HANDSHAKE, |f| f)?;
        let offered = read_strs(&mechanisms)?;
        if !offered.iter().any(|m| m == "PLAIN") {
            return Err(EvtError::broker(format!(
                "{}: the broker does not offer PLAIN login (it offers {})",
                self.shown,
                offered.join(", ")
            )));
        }
        let mut secret = Vec::with_capacity(address.user.len() + address.password.len() + 2);
        secret.push(0);
        secret.extend_from_slice(address.user.as_bytes());
        secret.push(0);
        secret.extend_from_slice(address.password.as_bytes());
        self.call(key::SASL_AUTHENTICATE, |f| f.str("PLAIN").bytes(&secret))
            .map_err(|e| match refused(&e) {
                Some(code::AUTHENTICATION_FAILURE) => EvtError::broker(format!(
                    "{}: login refused for user '{}' (wrong user or password)",
                    self.shown, address.user
                )),
                _ => e,
            })?;
        // The broker proposes the frame size and heartbeat; evt takes its frame size and turns
        // heartbeats off (its connections live as long as one command).
        let tune = self.receive()?;
        let mut f = Fields::parse(&tune)?;
        if f.key != key::TUNE {
            return Err(EvtError::broker(format!(
                "{}: expected the broker's tune frame, got key {:#06x}",
                self.shown, f.key
            )));
        }
        let frame_max = f.u32()?;
        f.u32()?;
        // At most wire::MAX_FRAME, whatever the broker proposes: one frame is read whole.
        self.frame_max = if frame_max == 0 {
            wire::FRAME_MAX
        } else {
            frame_max.min(wire::MAX_FRAME)
        };
        wire::send(
            &mut self.output,
            Frame::new(key::TUNE).u32(self.frame_max).u32(0).finish(),
        )?;
        let vhost = address.vhost.clone();
        self.call(key::OPEN, |f| f.str(&vhost))
            .map_err(|e| match refused(&e) {
                Some(code::VIRTUAL_HOST_ACCESS_FAILURE) => EvtError::broker(format!(
                    "{}: user '{}' may not use virtual host '{vhost}' (or it does not exist)",
                    self.shown, address.user
                )),
                _ => e,
            })?;
        Ok(())
    }

    fn receive(&mut self) -> anyhow::Result<Vec<u8>> {
        self.incoming
            .receive(&mut self.input, self.frame_max)
            .map_err(|e| {
                let what = match e.kind() {
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                        "no answer in time".to_string()
                    }
                    std::io::ErrorKind::UnexpectedEof => "the broker closed the connection".into(),
                    _ => e.to_string(),
                };
                EvtError::broker(format!("{}: {what}", self.shown))
            })
    }

    /// Sends a request (its correlation id first, then what `fields` adds) and returns the
    /// response, whose code must be OK (read its fields with [`after_status`]); a refusal is
    /// an [`EvtError::Refused`] error. Heartbeats and metadata updates on the way are skipped.
    fn call(
        &mut self,
        request: u16,
        fields: impl FnOnce(Frame) -> Frame,
    ) -> anyhow::Result<Vec<u8>> {
        let body = self.exchange(request, fields)?;
        let mut f = Fields::parse(&body)?;
        f.u32()?;
        let status = f.u16()?;
        if status != code::OK {
            // A broker error (exit 3) whose code stays readable with [`refused`].
            return Err(EvtError::Refused {
                message: format!("{}: {}", self.shown, wire::describe(status)),
                code: status,
            }
            .into());
        }
        Ok(body)
    }

    /// Sends a request and returns the body of its response (correlation checked, not read).
    fn exchange(
        &mut self,
        request: u16,
        fields: impl FnOnce(Frame) -> Frame,
    ) -> anyhow::Result<Vec<u8>> {
        self.correlation = self.correlation.wrapping_add(1);
        let correlation = self.correlation;
        let frame = fields(Frame::new(request).u32(correlation)).finish();
        wire::send(&mut self.output, frame)
            .map_err(|e| EvtError::broker(format!("{}: {e}", self.shown)))?;
        loop {
            let body = self.receive()?;
            if let Some(body) = self.dispatch(body, request | key::RESPONSE)? {
                let mut f = Fields::parse(&body)?;
                if f.u32()? == correlation {
                    return Ok(body);
                }
            }
        }
    }

    /// Returns a received frame when it is of the kind `wanted` (a response key, or
    /// DELIVER); otherwise keeps what it holds for later (deliveries, confirmations, metadata
    /// updates) and returns `None`. The broker closing the connection is an error.
    fn dispatch(&mut self, body: Vec<u8>, wanted: u16) -> anyhow::Result<Option<Vec<u8>>> {
        let mut fields = Fields::parse(&body)?;
        match fields.key {
            k if k == wanted => return Ok(Some(body)),
            key::DELIVER => self.pending.push_back(body),
            key::PUBLISH_CONFIRM | key::PUBLISH_ERROR => self.note_confirmations(&body)?,
            key::METADATA_UPDATE => {
                fields.u16()?;
                self.updated.push(fields.str()?.unwrap_or_default());
            }
            key::CLOSE => return Err(self.closed(fields)?),
            _ => {}
        }
        Ok(None)
    }

    /// Streams the broker said changed (deleted, or their leader moved) since the last call:
    /// it drops their subscriptions and publishers when it says so.
    pub fn changed_streams(&mut self) -> Vec<String> {
        std::mem::take(&mut self.updated)
    }

    /// Runs `f` with reads waiting at most `wait`, then restores the connection's timeout.
    fn within<T>(
        &mut self,
        wait: Duration,
        f: impl FnOnce(&mut Client) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let socket = self.input.get_ref();
        let previous = socket.read_timeout().ok().flatten();
        socket
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .ok();
        let answer = f(self);
        self.input.get_ref().set_read_timeout(previous).ok();
        answer
    }

    /// The named streams as the broker knows them (one entry per name, in order).
    pub fn metadata(&mut self, streams: &[&str]) -> anyhow::Result<Vec<StreamInfo>> {
        let body = self.exchange(key::METADATA, |f| f.strs(streams))?;
        let mut f = Fields::parse(&body)?;
        f.u32()?;
        let mut brokers = HashMap::new();
        for _ in 0..f.count(8)? {
            let reference = f.u16()?;
            let host = f.str()?.unwrap_or_default();
            let port = f.u32()?;
            brokers.insert(reference, (host, port));
        }
        let mut found = Vec::new();
        for _ in 0..f.count(8)? {
            let name = f.str()?.unwrap_or_default();
            let status = f.u16()?;
            let leader = f.u16()?;
            let replicas = f.count(2)?;
            for _ in 0..replicas {
                f.u16()?;
            }
            found.push(StreamInfo {
                name,
                problem: (status != code::OK).then(|| wire::describe(status)),
                leader: (status == code::OK)
                    .then(|| brokers.get(&leader).cloned())
                    .flatten(),
                replicas,
            });
        }
        Ok(found)
    }

    /// The largest frame the broker accepts (agreed at connection).
    pub fn frame_max(&self) -> u32 {
        self.frame_max
    }

    /// The broker's product and version, as it announced them.
    pub fn server(&self) -> (&str, &str) {
        (&self.server.0, &self.server.1)
    }

    /// Whether the broker answers [`Client::stream_stats`]: RabbitMQ 3.11 and later (3.10
    /// closes the connection on the unknown command).
    pub fn has_stream_stats(&self) -> bool {
        let mut parts = self
            .server
            .1
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        version >= (3, 11)
    }

    /// A stream's statistics (`first_chunk_id`, `committed_chunk_id`, …); `None` when the
    /// stream does not exist. An error, without asking, when the broker is older than 3.11.
    pub fn stream_stats(&mut self, stream: &str) -> anyhow::Result<Option<HashMap<String, i64>>> {
        if !self.has_stream_stats() {
            return Err(EvtError::broker(format!(
                "{}: {} {} has no stream statistics command (RabbitMQ 3.11 and later have)",
                self.shown, self.server.0, self.server.1
            )));
        }
        match self.call(key::STREAM_STATS, |f| f.str(stream)) {
            Ok(body) => {
                let mut f = after_status(&body)?;
                let mut stats = HashMap::new();
                for _ in 0..f.count(10)? {
                    let name = f.str()?.unwrap_or_default();
                    stats.insert(name, f.i64()?);
                }
                Ok(Some(stats))
            }
            Err(e) if refused(&e) == Some(code::STREAM_DOES_NOT_EXIST) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a stream with arguments such as `max-length-bytes` or `max-age` (`7D`).
    pub fn create(&mut self, stream: &str, arguments: &[(&str, &str)]) -> anyhow::Result<()> {
        self.call(key::CREATE, |f| f.str(stream).map(arguments))
            .map(drop)
    }

    /// Deletes a stream; false when there was none.
    pub fn delete(&mut self, stream: &str) -> anyhow::Result<bool> {
        match self.call(key::DELETE, |f| f.str(stream)) {
            Ok(_) => Ok(true),
            Err(e) if refused(&e) == Some(code::STREAM_DOES_NOT_EXIST) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The offset a consumer named `reference` stored on `stream`; `None` when it stored none.
    pub fn query_offset(&mut self, reference: &str, stream: &str) -> anyhow::Result<Option<u64>> {
        match self.call(key::QUERY_OFFSET, |f| f.str(reference).str(stream)) {
            Ok(body) => Ok(Some(after_status(&body)?.u64()?)),
            Err(e) if refused(&e) == Some(code::NO_OFFSET) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores `offset` as what consumer `reference` processed last on `stream` (the broker
    /// does not answer this one).
    pub fn store_offset(
        &mut self,
        reference: &str,
        stream: &str,
        offset: u64,
    ) -> anyhow::Result<()> {
        wire::send(
            &mut self.output,
            Frame::new(key::STORE_OFFSET)
                .str(reference)
                .str(stream)
                .u64(offset)
                .finish(),
        )
        .map_err(|e| EvtError::broker(format!("{}: {e}", self.shown)))
    }

    /// Says goodbye (best effort: the connection closes either way).
    pub fn close(mut self) {
        let _ = self.exchange(key::CLOSE, |f| f.u16(code::OK).str("evt is done"));
    }
}

/// The response code of a refused request.
pub fn refused(error: &anyhow::Error) -> Option<u16> {
    error
        .chain()
        .find_map(|cause| match cause.downcast_ref::<EvtError>() {
            Some(EvtError::Refused { code, .. }) => Some(*code),
            _ => None,
        })
}

/// A response's fields after its correlation id and response code.
fn after_status(body: &[u8]) -> Result<Fields<'_>, wire::Malformed> {
    let mut f = Fields::parse(body)?;
    f.u32()?;
    f.u16()?;
    Ok(f)
}

fn read_strs(body: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut f = after_status(body)?;
    let n = f.count(2)?;
    (0..n).map(|_| Ok(f.str()?.unwrap_or_default())).collect()
}

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    First,
    /// The last chunk (its first record and those after it).
    Last,
    /// Only what is written after subscribing.
    Next,
    Offset(u64),
    /// The first chunk written at or after this time (ms): earlier records of that chunk
    /// arrive too.
    Timestamp(i64),
}

/// One chunk of a stream as delivered: when the broker wrote it and its records, numbered
/// from `first_offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub subscription: u8,
    /// The broker's time when it wrote the chunk (ms since the epoch).
    pub timestamp: i64,
    pub first_offset: u64,
    /// (offset, AMQP 1.0 message bytes) of each record.
    pub records: Vec<(u64, Vec<u8>)>,
}

/// Reads a delivered chunk (the body of a Deliver frame, version 1): plain entries, and
/// sub-entry batches (several messages in one entry, compressed with gzip, snappy, lz4 or
/// zstd, or not at all), each message with its own offset.
pub fn parse_chunk(body: &[u8]) -> anyhow::Result<Chunk> {
    let mut f = Fields::parse(body)?;
    let subscription = f.u8()?;
    let _magic_version = f.u8()?;
    let _chunk_type = f.u8()?;
    let entries = f.u16()?;
    let records = f.u32()?;
    let timestamp = f.i64()?;
    let _epoch = f.u64()?;
    let first_offset = f.u64()?;
    let _crc = f.i32()?;
    let data_length = f.u32()?;
    let _trailer = f.u32()?;
    let _reserved = f.u32()?;
    let data = f.raw(data_length as usize)?;
    // At most what the header says (a lying header cannot make evt allocate more).
    let mut out = Vec::with_capacity((records as usize).min(data.len() / 4 + 1));
    let mut rest = data;
    let short = || {
        EvtError::broker(format!(
            "a chunk at offset {first_offset} is shorter than it says"
        ))
    };
    let take = |rest: &mut &[u8], n: usize| -> anyhow::Result<Vec<u8>> {
        let part = rest.get(..n).ok_or_else(short)?.to_vec();
        *rest = &rest[n..];
        Ok(part)
    };
    let int = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    for _ in 0..entries {
        let first = *rest.first().ok_or_else(short)?;
        if first & 0x80 == 0 {
            let size = int(&take(&mut rest, 4)?);
            let message = take(&mut rest, size)?;
            out.push((offset_of(first_offset, out.len())?, message));
            continue;
        }
        let header = take(&mut rest, 11)?;
        let compression = (first >> 4) & 0x07;
        let count = u16::from_be_bytes([header[1], header[2]]);
        let uncompressed = int(&header[3..7]);
        let length = int(&header[7..11]);
        let body = take(&mut rest, length)?;
        if uncompressed > MAX_BATCH {
            return Err(EvtError::broker(format!(
                "a sub-entry batch in the chunk at offset {first_offset} says it holds {uncompressed} bytes (evt reads at most {MAX_BATCH})"
            )));
        }
        let plain = decompress(compression, &body, uncompressed).map_err(|e| {
            EvtError::broker(format!(
                "a sub-entry batch in the chunk at offset {first_offset}: {e}"
            ))
        })?;
        let mut inner: &[u8] = &plain;
        for _ in 0..count {
            let size = int(&take(&mut inner, 4)?);
            let message = take(&mut inner, size)?;
            out.push((offset_of(first_offset, out.len())?, message));
        }
    }
    Ok(Chunk {
        subscription,
        timestamp,
        first_offset,
        records: out,
    })
}

/// The most bytes a sub-entry batch may uncompress to (clients write a few MB at most).
const MAX_BATCH: usize = 64 << 20;

/// The offset of the `n`-th record of a chunk (an error past the largest offset).
fn offset_of(first: u64, n: usize) -> anyhow::Result<u64> {
    first.checked_add(n as u64).ok_or_else(|| {
        EvtError::broker(format!(
            "a chunk at offset {first} runs past the largest offset"
        ))
    })
}

/// A sub-entry batch's messages, uncompressed: exactly `size` bytes, never more.
fn decompress(compression: u8, body: &[u8], size: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut plain = Vec::with_capacity(size.min(64 << 20));
    let limit = size as u64 + 1;
    let read = match compression {
        0 => {
            plain.extend_from_slice(body);
            Ok(body.len())
        }
        1 => flate2::read::GzDecoder::new(body)
            .take(limit)
            .read_to_end(&mut plain),
        2 => snap::read::FrameDecoder::new(body)
            .take(limit)
            .read_to_end(&mut plain),
        3 => lz4_flex::frame::FrameDecoder::new(body)
            .take(limit)
            .read_to_end(&mut plain),
        4 => zstd::stream::read::Decoder::new(body)
            .and_then(|d| d.take(limit).read_to_end(&mut plain)),
        other => return Err(format!("unknown compression {other}")),
    };
    let name = ["none", "gzip", "snappy", "lz4", "zstd"][usize::from(compression)];
    read.map_err(|e| format!("cannot uncompress ({name}): {e}"))?;
    if plain.len() != size {
        return Err(format!(
            "{name} data of {} bytes where the batch says {size}",
            plain.len()
        ));
    }
    Ok(plain)
}

impl Client {
    /// Subscribes to `stream` from `start`, allowing the broker `credit` chunks ahead.
    pub fn subscribe(
        &mut self,
        subscription: u8,
        stream: &str,
        start: Start,
        credit: u16,
    ) -> anyhow::Result<()> {
        self.call(key::SUBSCRIBE, |f| {
            let f = f.u8(subscription).str(stream);
            let f = match start {
                Start::First => f.u16(1),
                Start::Last => f.u16(2),
                Start::Next => f.u16(3),
                Start::Offset(o) => f.u16(4).u64(o),
                Start::Timestamp(ms) => f.u16(5).i64(ms),
            };
            f.u16(credit).map(&[])
        })
        .map(drop)
    }

    /// Allows the broker `credit` more chunks on `subscription`.
    pub fn credit(&mut self, subscription: u8, credit: u16) -> anyhow::Result<()> {
        wire::send(
            &mut self.output,
            Frame::new(key::CREDIT)
                .u8(subscription)
                .u16(credit)
                .finish(),
        )
        .map_err(|e| EvtError::broker(format!("{}: {e}", self.shown)))
    }

    /// The next delivered chunk, waiting up to `wait` (`None`: none came). A wait that ends
    /// inside a frame keeps what arrived; the next call goes on from there.
    pub fn next_chunk_within(&mut self, wait: Duration) -> anyhow::Result<Option<Chunk>> {
        self.within(wait, Client::next_chunk)
    }

    /// The next delivered chunk, waiting up to the connection's timeout (`None`: none came).
    pub fn next_chunk(&mut self) -> anyhow::Result<Option<Chunk>> {
        loop {
            let body = match self.pending.pop_front() {
                Some(body) => body,
                None => match self.incoming.receive(&mut self.input, self.frame_max) {
                    Ok(body) => body,
                    Err(e) if timed_out(&e) => return Ok(None),
                    Err(e) => return Err(self.lost(&e)),
                },
            };
            if let Some(body) = self.dispatch(body, key::DELIVER)? {
                return parse_chunk(&body).map(Some);
            }
        }
    }

    fn lost(&self, e: &std::io::Error) -> anyhow::Error {
        let what = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "the broker closed the connection".to_string(),
            _ => e.to_string(),
        };
        EvtError::broker(format!("{}: {what}", self.shown))
    }

    fn closed(&self, mut f: Fields<'_>) -> anyhow::Result<anyhow::Error> {
        f.u32()?;
        let status = f.u16()?;
        let reason = f.str()?.unwrap_or_default();
        Ok(EvtError::broker(format!(
            "{}: the broker closed the connection: {} {reason}",
            self.shown,
            wire::describe(status)
        )))
    }

    /// Stops subscription `subscription` (chunks already on the way may still arrive).
    pub fn unsubscribe(&mut self, subscription: u8) -> anyhow::Result<()> {
        self.call(key::UNSUBSCRIBE, |f| f.u8(subscription))
            .map(drop)
    }

    /// Declares publisher `id` on `stream`; with a `reference` the broker deduplicates by
    /// publishing id across connections.
    pub fn declare_publisher(
        &mut self,
        id: u8,
        reference: Option<&str>,
        stream: &str,
    ) -> anyhow::Result<()> {
        self.call(key::DECLARE_PUBLISHER, |f| {
            f.u8(id).str(reference.unwrap_or("")).str(stream)
        })
        .map(drop)
    }

    /// The last publishing id the broker stored for publisher `reference` on `stream` (0:
    /// none).
    pub fn publisher_sequence(&mut self, reference: &str, stream: &str) -> anyhow::Result<u64> {
        let body = self.call(key::QUERY_PUBLISHER_SEQUENCE, |f| {
            f.str(reference).str(stream)
        })?;
        Ok(after_status(&body)?.u64()?)
    }

    /// Sends `messages` (publishing id, AMQP 1.0 bytes) with publisher `id` without waiting;
    /// their confirmations come from [`Client::confirmations`].
    pub fn send_publish(&mut self, id: u8, messages: &[(u64, &[u8])]) -> anyhow::Result<()> {
        let mut frame = Frame::new(key::PUBLISH)
            .u8(id)
            .u32(u32::try_from(messages.len()).unwrap_or(u32::MAX));
        for (publishing_id, bytes) in messages {
            frame = frame.u64(*publishing_id).bytes(bytes);
        }
        wire::send(&mut self.output, frame.finish())
            .map_err(|e| EvtError::broker(format!("{}: {e}", self.shown)))
    }

    /// The confirmations that arrived, waiting up to `wait` for the first (empty: none came).
    pub fn confirmations(&mut self, wait: Duration) -> anyhow::Result<Vec<Confirmation>> {
        if self.confirmations.is_empty() {
            self.within(wait, Client::wait_for_confirmations)?;
        }
        Ok(std::mem::take(&mut self.confirmations))
    }

    fn wait_for_confirmations(&mut self) -> anyhow::Result<()> {
        while self.confirmations.is_empty() {
            let body = match self.incoming.receive(&mut self.input, self.frame_max) {
                Ok(body) => body,
                Err(e) if timed_out(&e) => return Ok(()),
                Err(e) => return Err(self.lost(&e)),
            };
            // Confirmations are noted on the way (no frame is wanted as such).
            self.dispatch(body, 0)?;
        }
        Ok(())
    }

    fn note_confirmations(&mut self, body: &[u8]) -> anyhow::Result<()> {
        let mut f = Fields::parse(body)?;
        let publisher = f.u8()?;
        if f.key == key::PUBLISH_CONFIRM {
            for _ in 0..f.count(8)? {
                self.confirmations.push(Confirmation {
                    publisher,
                    publishing_id: f.u64()?,
                    refused: None,
                });
            }
        } else {
            for _ in 0..f.count(10)? {
                let publishing_id = f.u64()?;
                self.confirmations.push(Confirmation {
                    publisher,
                    publishing_id,
                    refused: Some(f.u16()?),
                });
            }
        }
        Ok(())
    }

    /// Publishes `messages` (publishing id, AMQP 1.0 bytes) with publisher `id` and waits for
    /// each to be confirmed or refused: the refused ones with their response codes.
    pub fn publish(
        &mut self,
        id: u8,
        messages: &[(u64, Vec<u8>)],
    ) -> anyhow::Result<Vec<(u64, u16)>> {
        let borrowed: Vec<(u64, &[u8])> = messages.iter().map(|(p, b)| (*p, &b[..])).collect();
        self.send_publish(id, &borrowed)?;
        let mut waiting: std::collections::HashSet<u64> =
            messages.iter().map(|(p, _)| *p).collect();
        let mut refused = Vec::new();
        let mut others = Vec::new();
        while !waiting.is_empty() {
            self.wait_for_confirmations_blocking()?;
            for c in std::mem::take(&mut self.confirmations) {
                if c.publisher != id || !waiting.remove(&c.publishing_id) {
                    others.push(c);
                } else if let Some(code) = c.refused {
                    refused.push((c.publishing_id, code));
                }
            }
        }
        self.confirmations = others;
        Ok(refused)
    }

    /// Waits (up to the connection's timeout) until a confirmation arrives.
    fn wait_for_confirmations_blocking(&mut self) -> anyhow::Result<()> {
        self.wait_for_confirmations()?;
        if self.confirmations.is_empty() {
            return Err(EvtError::broker(format!(
                "{}: no publish confirmation in time",
                self.shown
            )));
        }
        Ok(())
    }
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn message(n: u8) -> Vec<u8> {
        vec![n; usize::from(n) + 1]
    }

    /// A sub-entry batch of `messages` compressed with `compression`.
    fn batch(compression: u8, messages: &[Vec<u8>]) -> Vec<u8> {
        let mut plain = Vec::new();
        for m in messages {
            plain.extend((m.len() as u32).to_be_bytes());
            plain.extend(m);
        }
        let body = match compression {
            0 => plain.clone(),
            1 => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&plain).unwrap();
                e.finish().unwrap()
            }
            2 => {
                let mut e = snap::write::FrameEncoder::new(Vec::new());
                e.write_all(&plain).unwrap();
                e.into_inner().unwrap()
            }
            3 => {
                let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
                e.write_all(&plain).unwrap();
                e.finish().unwrap()
            }
            _ => zstd::encode_all(&plain[..], 1).unwrap(),
        };
        let mut entry = vec![0x80 | (compression << 4)];
        entry.extend((messages.len() as u16).to_be_bytes());
        entry.extend((plain.len() as u32).to_be_bytes());
        entry.extend((body.len() as u32).to_be_bytes());
        entry.extend(body);
        entry
    }

    fn chunk(entries: &[Vec<u8>], records: u32) -> Vec<u8> {
        let data: Vec<u8> = entries.concat();
        Frame::new(key::DELIVER)
            .u8(3)
            .u8(0x50)
            .u8(0)
            .u16(entries.len() as u16)
            .u32(records)
            .i64(1_700_000_000_000)
            .u64(1)
            .u64(100)
            .u32(0)
            .u32(data.len() as u32)
            .u32(0)
            .u32(0)
            .finish()[4..]
            .iter()
            .copied()
            .chain(data)
            .collect()
    }

    #[test]
    fn sub_entry_batches_of_every_compression_give_each_message_its_offset() {
        let mut plain_entry = 5u32.to_be_bytes().to_vec();
        plain_entry.extend(b"plain");
        let mut entries = vec![plain_entry];
        let mut expected = vec![b"plain".to_vec()];
        for compression in 0..5u8 {
            let messages: Vec<Vec<u8>> = (1..=3).map(|n| message(n + compression * 3)).collect();
            entries.push(batch(compression, &messages));
            expected.extend(messages);
        }
        let parsed = parse_chunk(&chunk(&entries, expected.len() as u32)).unwrap();
        assert_eq!(parsed.subscription, 3);
        assert_eq!(parsed.timestamp, 1_700_000_000_000);
        let offsets: Vec<u64> = parsed.records.iter().map(|(o, _)| *o).collect();
        assert_eq!(
            offsets,
            (100..100 + expected.len() as u64).collect::<Vec<_>>()
        );
        let messages: Vec<Vec<u8>> = parsed.records.into_iter().map(|(_, m)| m).collect();
        assert_eq!(messages, expected);
    }

    #[test]
    fn a_batch_cannot_claim_more_than_evt_reads() {
        let mut entry = batch(4, &[message(1)]);
        entry[3..7].copy_from_slice(&(1u32 << 31).to_be_bytes());
        let err = parse_chunk(&chunk(&[entry], 1)).unwrap_err().to_string();
        assert!(err.contains("evt reads at most"), "{err}");
    }

    #[test]
    fn offsets_past_the_largest_are_an_error_not_a_panic() {
        let mut plain = 1u32.to_be_bytes().to_vec();
        plain.push(7);
        let mut body = chunk(&[plain.clone(), plain], 2);
        // The first offset field: u64::MAX, so the second record's offset overflows.
        let at = 4 + 1 + 1 + 1 + 2 + 4 + 8 + 8; // key and version, then the header
        body[at..at + 8].copy_from_slice(&u64::MAX.to_be_bytes());
        let err = parse_chunk(&body).unwrap_err().to_string();
        assert!(err.contains("past the largest offset"), "{err}");
    }

    #[test]
    fn a_batch_that_lies_about_its_size_is_an_error() {
        let mut entry = batch(1, &[message(4)]);
        // Say the uncompressed messages are one byte longer than they are.
        let size = u32::from_be_bytes(entry[3..7].try_into().unwrap()) + 1;
        entry[3..7].copy_from_slice(&size.to_be_bytes());
        let err = parse_chunk(&chunk(&[entry], 1)).unwrap_err().to_string();
        assert!(err.contains("gzip data of"), "{err}");
        let truncated = chunk(&[batch(4, &[message(9)])[..12].to_vec()], 1);
        let err = parse_chunk(&truncated).unwrap_err().to_string();
        assert!(err.contains("shorter than it says"), "{err}");
    }
}
