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
            .map_err(|e| match e.downcast_ref::<Refused>() {
                Some(Refused(code::AUTHENTICATION_FAILURE)) => EvtError::broker(format!(
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
        self.frame_max = if frame_max == 0 {
            wire::FRAME_MAX
        } else {
            frame_max
        };
        wire::send(
            &mut self.output,
            Frame::new(key::TUNE).u32(self.frame_max).u32(0).finish(),
        )?;
        let vhost = address.vhost.clone();
        self.call(key::OPEN, |f| f.str(&vhost))
            .map_err(|e| match e.downcast_ref::<Refused>() {
                Some(Refused(code::VIRTUAL_HOST_ACCESS_FAILURE)) => EvtError::broker(format!(
                    "{}: user '{}' may not use virtual host '{vhost}' (or it does not exist)",
                    self.shown, address.user
                )),
                _ => e,
            })?;
        Ok(())
    }

    fn receive(&mut self) -> anyhow::Result<Vec<u8>> {
        wire::receive(&mut self.input, self.frame_max).map_err(|e| {
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
    /// a [`Refused`] error. Heartbeats and metadata updates on the way are skipped.
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
            return Err(anyhow::Error::new(Refused(status)).context(format!(
                "{}: {}",
                self.shown,
                wire::describe(status)
            )));
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
            let mut f = Fields::parse(&body)?;
            let frame_key = f.key;
            match frame_key {
                key::HEARTBEAT | key::METADATA_UPDATE => continue,
                k if k == request | key::RESPONSE => {
                    if f.u32()? == correlation {
                        return Ok(body);
                    }
                }
                key::CLOSE => {
                    f.u32()?;
                    let status = f.u16()?;
                    let reason = f.str()?.unwrap_or_default();
                    return Err(EvtError::broker(format!(
                        "{}: the broker closed the connection: {} {reason}",
                        self.shown,
                        wire::describe(status)
                    )));
                }
                _ => continue,
            }
        }
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

    /// Says goodbye (best effort: the connection closes either way).
    pub fn close(mut self) {
        let _ = self.exchange(key::CLOSE, |f| f.u16(code::OK).str("evt is done"));
    }
}

/// The broker answered a request with this response code (not OK).
#[derive(Debug, thiserror::Error)]
#[error("response code {0}")]
pub struct Refused(pub u16);

/// The response code of a refused request.
pub fn refused(error: &anyhow::Error) -> Option<u16> {
    error.downcast_ref::<Refused>().map(|r| r.0)
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
