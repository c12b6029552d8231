//! AMQP 1.0 messages, the form RabbitMQ Streams store: a sequence of described sections
//! (header, annotations, properties, application properties, body, footer). Decoding keeps
//! every typed value (so nothing is lost on the way to the envelope), refuses malformed or
//! absurd input with an error instead of panicking, and bounds nesting.

/// Nesting deeper than this (lists in lists …) is refused.
pub const MAX_DEPTH: usize = 64;
/// The most elements an array of a zero-width type (null, true, false, 0) may have.
pub const MAX_EMPTY_ELEMENTS: usize = 65_536;

/// An AMQP 1.0 value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Ubyte(u8),
    Ushort(u16),
    Uint(u32),
    Ulong(u64),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    Decimal32([u8; 4]),
    Decimal64([u8; 8]),
    Decimal128([u8; 16]),
    Char(char),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
    Binary(Vec<u8>),
    String(String),
    Symbol(String),
    List(Vec<Value>),
    Map(Vec<(Value, Value)>),
    /// Every element of one type.
    Array(Vec<Value>),
    Described(Box<Value>, Box<Value>),
}

/// Section descriptors.
mod section {
    pub const HEADER: u64 = 0x70;
    pub const DELIVERY_ANNOTATIONS: u64 = 0x71;
    pub const MESSAGE_ANNOTATIONS: u64 = 0x72;
    pub const PROPERTIES: u64 = 0x73;
    pub const APPLICATION_PROPERTIES: u64 = 0x74;
    pub const DATA: u64 = 0x75;
    pub const SEQUENCE: u64 = 0x76;
    pub const VALUE: u64 = 0x77;
    pub const FOOTER: u64 = 0x78;
}

/// A message's body.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Body {
    /// No body section.
    #[default]
    None,
    /// One or more data sections (bytes), in order.
    Data(Vec<Vec<u8>>),
    /// amqp-sequence sections.
    Sequence(Vec<Vec<Value>>),
    /// An amqp-value section.
    Value(Value),
}

/// One message, section by section.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    pub header: Option<Value>,
    pub delivery_annotations: Vec<(Value, Value)>,
    pub message_annotations: Vec<(Value, Value)>,
    /// The properties list, positional: message-id, user-id, to, subject, reply-to,
    /// correlation-id, content-type, content-encoding, absolute-expiry-time, creation-time,
    /// group-id, group-sequence, reply-to-group-id.
    pub properties: Vec<Value>,
    pub application_properties: Vec<(Value, Value)>,
    pub body: Body,
    pub footer: Vec<(Value, Value)>,
}

/// Positions in the properties list.
pub mod property {
    pub const MESSAGE_ID: usize = 0;
    pub const CORRELATION_ID: usize = 5;
    pub const CONTENT_TYPE: usize = 6;
    pub const CREATION_TIME: usize = 9;
}

/// Input that is not an AMQP 1.0 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an AMQP 1.0 message: {what} at byte {at}")]
pub struct Malformed {
    pub what: String,
    pub at: usize,
}

impl Message {
    /// The body's bytes when it is data sections (joined), else `None`.
    pub fn data(&self) -> Option<Vec<u8>> {
        match &self.body {
            Body::Data(parts) => Some(parts.concat()),
            _ => None,
        }
    }

    /// The creation time (ms since the epoch) when the publisher set it.
    pub fn creation_time(&self) -> Option<i64> {
        match self.properties.get(property::CREATION_TIME) {
            Some(Value::Timestamp(ms)) => Some(*ms),
            _ => None,
        }
    }

    /// A message annotation by its symbol key (e.g. `x-routing-key`).
    pub fn annotation(&self, name: &str) -> Option<&Value> {
        self.message_annotations
            .iter()
            .find(|(k, _)| matches!(k, Value::Symbol(s) | Value::String(s) if s == name))
            .map(|(_, v)| v)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn bad(&self, what: impl Into<String>) -> Malformed {
        Malformed {
            what: what.into(),
            at: self.at,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| self.bad(format!("{n} byte(s) needed, the message ends")))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Malformed> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A size or count field: one byte for the 8-bit forms, four for the 32-bit ones.
    fn size(&mut self, wide: bool) -> Result<usize, Malformed> {
        let n = if wide {
            self.u32()? as usize
        } else {
            usize::from(self.u8()?)
        };
        Ok(n)
    }

    fn text(&mut self, wide: bool) -> Result<String, Malformed> {
        let n = self.size(wide)?;
        let at = self.at;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| Malformed {
            what: "a string that is not UTF-8".into(),
            at,
        })
    }

    /// A value: its constructor, then its data.
    fn value(&mut self) -> Result<Value, Malformed> {
        let code = self.u8()?;
        if code == 0x00 {
            return self.described();
        }
        self.data(code)
    }

    fn described(&mut self) -> Result<Value, Malformed> {
        self.enter()?;
        let descriptor = self.value()?;
        let value = self.value()?;
        self.depth -= 1;
        Ok(Value::Described(Box::new(descriptor), Box::new(value)))
    }

    fn enter(&mut self) -> Result<(), Malformed> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.bad(format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    /// The data of a value whose constructor is `code`.
    fn data(&mut self, code: u8) -> Result<Value, Malformed> {
        Ok(match code {
            0x40 => Value::Null,
            0x41 => Value::Bool(true),
            0x42 => Value::Bool(false),
            0x56 => Value::Bool(self.u8()? != 0),
            0x50 => Value::Ubyte(self.u8()?),
            0x60 => Value::Ushort(u16::from_be_bytes(self.array()?)),
            0x70 => Value::Uint(self.u32()?),
            0x52 => Value::Uint(u32::from(self.u8()?)),
            0x43 => Value::Uint(0),
            0x80 => Value::Ulong(u64::from_be_bytes(self.array()?)),
            0x53 => Value::Ulong(u64::from(self.u8()?)),
            0x44 => Value::Ulong(0),
            0x51 => Value::Byte(i8::from_be_bytes(self.array()?)),
            0x61 => Value::Short(i16::from_be_bytes(self.array()?)),
            0x71 => Value::Int(i32::from_be_bytes(self.array()?)),
            0x54 => Value::Int(i32::from(i8::from_be_bytes(self.array()?))),
            0x81 => Value::Long(i64::from_be_bytes(self.array()?)),
            0x55 => Value::Long(i64::from(i8::from_be_bytes(self.array()?))),
            0x72 => Value::Float(f32::from_be_bytes(self.array()?)),
            0x82 => Value::Double(f64::from_be_bytes(self.array()?)),
            0x74 => Value::Decimal32(self.array()?),
            0x84 => Value::Decimal64(self.array()?),
            0x94 => Value::Decimal128(self.array()?),
            0x73 => {
                let at = self.at;
                let c = self.u32()?;
                Value::Char(char::from_u32(c).ok_or(Malformed {
                    what: format!("char {c:#x} is not a Unicode scalar"),
                    at,
                })?)
            }
            0x83 => Value::Timestamp(i64::from_be_bytes(self.array()?)),
            0x98 => Value::Uuid(self.array()?),
            0xa0 | 0xb0 => {
                let n = self.size(code == 0xb0)?;
                Value::Binary(self.take(n)?.to_vec())
            }
            0xa1 | 0xb1 => Value::String(self.text(code == 0xb1)?),
            0xa3 | 0xb3 => Value::Symbol(self.text(code == 0xb3)?),
            0x45 => Value::List(Vec::new()),
            0xc0 | 0xd0 | 0xc1 | 0xd1 | 0xe0 | 0xf0 => self.compound(code)?,
            other => return Err(self.bad(format!("unknown type code {other:#04x}"))),
        })
    }

    /// A list, map or array: size, count, then the items (within the size).
    fn compound(&mut self, code: u8) -> Result<Value, Malformed> {
        let wide = matches!(code, 0xd0 | 0xd1 | 0xf0);
        let size = self.size(wide)?;
        let start = self.at;
        let end = start
            .checked_add(size)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| self.bad("a compound value longer than the message"))?;
        let count = self.size(wide)?;
        // Every item takes at least one byte (arrays: elements of a fixed-width type may be
        // packed tighter, so bound by the size only).
        if count > end.saturating_sub(self.at) && !matches!(code, 0xe0 | 0xf0) {
            return Err(self.bad(format!("{count} item(s) cannot fit in {size} byte(s)")));
        }
        self.enter()?;
        let value = match code {
            0xc0 | 0xd0 => Value::List((0..count).map(|_| self.value()).collect::<Result<_, _>>()?),
            0xc1 | 0xd1 => {
                if count % 2 != 0 {
                    return Err(self.bad("a map with an odd number of items"));
                }
                let mut pairs = Vec::with_capacity(count / 2);
                for _ in 0..count / 2 {
                    pairs.push((self.value()?, self.value()?));
                }
                Value::Map(pairs)
            }
            _ => {
                let element = self.u8()?;
                if element == 0x00 {
                    return Err(self.bad("arrays of described values are not supported"));
                }
                // Elements that take no bytes (null, true, zero …) could claim billions of
                // items in a few bytes: their count is bounded on its own.
                if matches!(element, 0x40..=0x45) && count > MAX_EMPTY_ELEMENTS {
                    return Err(self.bad(format!(
                        "an array of {count} empty elements (at most {MAX_EMPTY_ELEMENTS})"
                    )));
                }
                let mut items = Vec::new();
                for _ in 0..count {
                    if self.at >= end && !matches!(element, 0x40..=0x45) {
                        return Err(self.bad("an array longer than its size"));
                    }
                    items.push(self.data(element)?);
                }
                Value::Array(items)
            }
        };
        self.depth -= 1;
        if self.at != end {
            return Err(self.bad(format!(
                "a compound value of {size} byte(s) held {} byte(s)",
                self.at - start
            )));
        }
        Ok(value)
    }
}

fn pairs(value: Value, reader: &Reader) -> Result<Vec<(Value, Value)>, Malformed> {
    match value {
        Value::Map(pairs) => Ok(pairs),
        Value::Null => Ok(Vec::new()),
        _ => Err(reader.bad("a section that should be a map is not")),
    }
}

/// Decodes one value written by [`encode_value`]; anything left after it is an error.
pub fn decode_value(bytes: &[u8]) -> Result<Value, Malformed> {
    let mut r = Reader {
        bytes,
        at: 0,
        depth: 0,
    };
    let value = r.value()?;
    if r.at != bytes.len() {
        return Err(r.bad("bytes after the value"));
    }
    Ok(value)
}

/// Decodes one message.
pub fn decode(bytes: &[u8]) -> Result<Message, Malformed> {
    let mut r = Reader {
        bytes,
        at: 0,
        depth: 0,
    };
    let mut message = Message::default();
    while r.at < bytes.len() {
        let Value::Described(descriptor, value) = r.value()? else {
            return Err(r.bad("a section that is not a described value"));
        };
        let code = match *descriptor {
            Value::Ulong(code) => code,
            Value::Symbol(ref name) => match name.as_str() {
                "amqp:header:list" => section::HEADER,
                "amqp:delivery-annotations:map" => section::DELIVERY_ANNOTATIONS,
                "amqp:message-annotations:map" => section::MESSAGE_ANNOTATIONS,
                "amqp:properties:list" => section::PROPERTIES,
                "amqp:application-properties:map" => section::APPLICATION_PROPERTIES,
                "amqp:data:binary" => section::DATA,
                "amqp:amqp-sequence:list" => section::SEQUENCE,
                "amqp:amqp-value:*" => section::VALUE,
                "amqp:footer:map" => section::FOOTER,
                other => return Err(r.bad(format!("unknown section {other}"))),
            },
            _ => return Err(r.bad("a section descriptor that is neither a code nor a name")),
        };
        match code {
            section::HEADER => message.header = Some(*value),
            section::DELIVERY_ANNOTATIONS => message.delivery_annotations = pairs(*value, &r)?,
            section::MESSAGE_ANNOTATIONS => message.message_annotations = pairs(*value, &r)?,
            section::PROPERTIES => match *value {
                Value::List(items) => message.properties = items,
                _ => return Err(r.bad("properties that are not a list")),
            },
            section::APPLICATION_PROPERTIES => {
                message.application_properties = pairs(*value, &r)?;
            }
            section::DATA => {
                let Value::Binary(bytes) = *value else {
                    return Err(r.bad("a data section that is not binary"));
                };
                match &mut message.body {
                    Body::Data(parts) => parts.push(bytes),
                    _ => message.body = Body::Data(vec![bytes]),
                }
            }
            section::SEQUENCE => {
                let Value::List(items) = *value else {
                    return Err(r.bad("an amqp-sequence section that is not a list"));
                };
                match &mut message.body {
                    Body::Sequence(parts) => parts.push(items),
                    _ => message.body = Body::Sequence(vec![items]),
                }
            }
            section::VALUE => message.body = Body::Value(*value),
            section::FOOTER => message.footer = pairs(*value, &r)?,
            other => return Err(r.bad(format!("unknown section {other:#x}"))),
        }
    }
    Ok(message)
}

/// Encodes a value in the compact forms other clients write (`smallulong` section
/// descriptors, one-byte sizes for short strings, `true`/`false` without data): some
/// decoders (Python's pyamqp, in rstream) read nothing else.
pub fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Described(descriptor, inner) => {
            out.push(0x00);
            encode_value(descriptor, out);
            encode_value(inner, out);
        }
        Value::Bool(b) => out.push(if *b { 0x41 } else { 0x42 }),
        Value::Uint(0) => out.push(0x43),
        Value::Ulong(0) => out.push(0x44),
        Value::Uint(v) if *v < 256 => out.extend_from_slice(&[0x52, *v as u8]),
        Value::Ulong(v) if *v < 256 => out.extend_from_slice(&[0x53, *v as u8]),
        Value::Int(v) if i8::try_from(*v).is_ok() => out.extend_from_slice(&[0x54, *v as i8 as u8]),
        Value::Long(v) if i8::try_from(*v).is_ok() => {
            out.extend_from_slice(&[0x55, *v as i8 as u8])
        }
        Value::Binary(b) if b.len() < 256 => short(out, 0xa0, b),
        Value::String(s) if s.len() < 256 => short(out, 0xa1, s.as_bytes()),
        Value::Symbol(s) if s.len() < 256 => short(out, 0xa3, s.as_bytes()),
        Value::List(items) if items.is_empty() => out.push(0x45),
        other => {
            out.push(constructor(other));
            encode_data(other, out);
        }
    }
}

/// A variable-width value with a one-byte size.
fn short(out: &mut Vec<u8>, code: u8, bytes: &[u8]) {
    out.push(code);
    out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(bytes);
}

/// The constructor byte of a value (the wide forms for compound values and variable data).
fn constructor(value: &Value) -> u8 {
    match value {
        Value::Null => 0x40,
        Value::Bool(_) => 0x56,
        Value::Ubyte(_) => 0x50,
        Value::Ushort(_) => 0x60,
        Value::Uint(_) => 0x70,
        Value::Ulong(_) => 0x80,
        Value::Byte(_) => 0x51,
        Value::Short(_) => 0x61,
        Value::Int(_) => 0x71,
        Value::Long(_) => 0x81,
        Value::Float(_) => 0x72,
        Value::Double(_) => 0x82,
        Value::Decimal32(_) => 0x74,
        Value::Decimal64(_) => 0x84,
        Value::Decimal128(_) => 0x94,
        Value::Char(_) => 0x73,
        Value::Timestamp(_) => 0x83,
        Value::Uuid(_) => 0x98,
        Value::Binary(_) => 0xb0,
        Value::String(_) => 0xb1,
        Value::Symbol(_) => 0xb3,
        Value::List(_) => 0xd0,
        Value::Map(_) => 0xd1,
        Value::Array(_) => 0xf0,
        Value::Described(..) => 0x00,
    }
}

fn len32(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes()
}

/// A value's data after its constructor.
fn encode_data(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null | Value::Described(..) => {}
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Ubyte(v) => out.push(*v),
        Value::Ushort(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Uint(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Ulong(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Byte(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Short(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Int(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Long(v) | Value::Timestamp(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Float(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Double(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Decimal32(b) => out.extend_from_slice(b),
        Value::Decimal64(b) => out.extend_from_slice(b),
        Value::Decimal128(b) | Value::Uuid(b) => out.extend_from_slice(b),
        Value::Char(c) => out.extend_from_slice(&u32::from(*c).to_be_bytes()),
        Value::Binary(b) => {
            out.extend_from_slice(&len32(b.len()));
            out.extend_from_slice(b);
        }
        Value::String(s) | Value::Symbol(s) => {
            out.extend_from_slice(&len32(s.len()));
            out.extend_from_slice(s.as_bytes());
        }
        Value::List(items) => compound(out, items.len(), |out| {
            items.iter().for_each(|v| encode_value(v, out));
        }),
        Value::Map(pairs) => compound(out, pairs.len() * 2, |out| {
            for (k, v) in pairs {
                encode_value(k, out);
                encode_value(v, out);
            }
        }),
        Value::Array(items) => compound(out, items.len(), |out| {
            out.push(items.first().map_or(0x40, constructor));
            items.iter().for_each(|v| encode_data(v, out));
        }),
    }
}

/// size:u32 count:u32 items, the size counting the count and the items.
fn compound(out: &mut Vec<u8>, count: usize, items: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&len32(count));
    items(out);
    let size = out.len() - at - 4;
    out[at..at + 4].copy_from_slice(&len32(size));
}

/// Encodes a message, section by section in the standard order.
pub fn encode(message: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    let mut section = |code: u64, value: Value| {
        encode_value(
            &Value::Described(Box::new(Value::Ulong(code)), Box::new(value)),
            &mut out,
        );
    };
    if let Some(header) = &message.header {
        section(section::HEADER, header.clone());
    }
    if !message.delivery_annotations.is_empty() {
        section(
            section::DELIVERY_ANNOTATIONS,
            Value::Map(message.delivery_annotations.clone()),
        );
    }
    if !message.message_annotations.is_empty() {
        section(
            section::MESSAGE_ANNOTATIONS,
            Value::Map(message.message_annotations.clone()),
        );
    }
    if !message.properties.is_empty() {
        section(section::PROPERTIES, Value::List(message.properties.clone()));
    }
    if !message.application_properties.is_empty() {
        section(
            section::APPLICATION_PROPERTIES,
            Value::Map(message.application_properties.clone()),
        );
    }
    match &message.body {
        Body::None => {}
        Body::Data(parts) => {
            for part in parts {
                section(section::DATA, Value::Binary(part.clone()));
            }
        }
        Body::Sequence(parts) => {
            for part in parts {
                section(section::SEQUENCE, Value::List(part.clone()));
            }
        }
        Body::Value(v) => section(section::VALUE, v.clone()),
    }
    if !message.footer.is_empty() {
        section(section::FOOTER, Value::Map(message.footer.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Value {
        Value::Symbol(s.into())
    }

    fn every_type() -> Vec<Value> {
        vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Ubyte(255),
            Value::Ushort(65_535),
            Value::Uint(4_000_000_000),
            Value::Ulong(u64::MAX),
            Value::Byte(-128),
            Value::Short(-32_768),
            Value::Int(i32::MIN),
            Value::Long(i64::MIN),
            Value::Float(1.5),
            Value::Double(-0.1),
            Value::Decimal32([1, 2, 3, 4]),
            Value::Decimal64([1; 8]),
            Value::Decimal128([2; 16]),
            Value::Char('€'),
            Value::Timestamp(1_795_539_600_123),
            Value::Uuid([7; 16]),
            Value::Binary(vec![0, 159, 146, 150, 255]),
            Value::String("grüße \u{1}".into()),
            sym("x-opt"),
            Value::List(vec![Value::Int(1), Value::String("two".into())]),
            Value::Map(vec![(Value::String("k".into()), Value::Long(9))]),
            Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)]),
        ]
    }

    #[test]
    fn every_type_round_trips_in_application_properties() {
        let message = Message {
            header: Some(Value::List(vec![Value::Bool(true)])),
            message_annotations: vec![(sym("x-routing-key"), Value::String("order-17".into()))],
            properties: vec![
                Value::String("msg-1".into()),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::String("corr-9".into()),
                sym("application/json"),
                Value::Null,
                Value::Null,
                Value::Timestamp(1_795_539_600_000),
            ],
            application_properties: every_type()
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::String(format!("p{i}")), v))
                .collect(),
            body: Body::Data(vec![
                br#"{"type":"OrderCreated"}"#.to_vec(),
                b"\xff".to_vec(),
            ]),
            ..Message::default()
        };
        let bytes = encode(&message);
        let back = decode(&bytes).unwrap();
        assert_eq!(back, message);
        assert_eq!(back.creation_time(), Some(1_795_539_600_000));
        assert_eq!(
            back.annotation("x-routing-key"),
            Some(&Value::String("order-17".into()))
        );
        assert_eq!(back.data().unwrap(), b"{\"type\":\"OrderCreated\"}\xff");
    }

    #[test]
    fn the_compact_forms_other_clients_write_decode() {
        // Data section via smallulong descriptor and vbin8; application properties as map8
        // with str8 keys, smallint, uint0, true, sym8; an amqp-value body is not data.
        let bytes = [
            0x00, 0x53, 0x74, 0xc1, 0x0e, 0x06, // app properties: map8, 14 bytes, 6 items
            0xa1, 0x01, b'a', 0x54, 0xfe, // "a" => smallint -2
            0xa1, 0x01, b'b', 0x43, // "b" => uint0
            0xa1, 0x01, b'c', 0x41, // "c" => true
            0x00, 0x53, 0x75, 0xa0, 0x02, b'h', b'i', // data: vbin8 "hi"
        ];
        let m = decode(&bytes).unwrap();
        assert_eq!(
            m.application_properties,
            vec![
                (Value::String("a".into()), Value::Int(-2)),
                (Value::String("b".into()), Value::Uint(0)),
                (Value::String("c".into()), Value::Bool(true)),
            ]
        );
        assert_eq!(m.data().unwrap(), b"hi");
        let value = [0x00, 0x53, 0x77, 0xa1, 0x02, b'o', b'k'];
        let m = decode(&value).unwrap();
        assert_eq!(m.body, Body::Value(Value::String("ok".into())));
        assert_eq!(m.data(), None);
    }

    #[test]
    fn an_array_of_empty_elements_cannot_claim_billions() {
        // array32 of 12 bytes claiming 4,294,967,295 nulls.
        let mut bytes = vec![0xf0];
        bytes.extend(5u32.to_be_bytes());
        bytes.extend(u32::MAX.to_be_bytes());
        bytes.push(0x40);
        let err = decode_value(&bytes).unwrap_err();
        assert!(err.what.contains("empty elements"), "{err}");
        // A modest one still decodes.
        let mut ok = vec![0xe0, 2, 3, 0x40];
        ok[1] = 2;
        assert_eq!(
            decode_value(&ok).unwrap(),
            Value::Array(vec![Value::Null; 3])
        );
    }

    #[test]
    fn malformed_input_is_an_error_never_a_panic() {
        let good = encode(&Message {
            application_properties: vec![(
                Value::String("k".into()),
                Value::List(vec![Value::Binary(vec![1, 2, 3])]),
            )],
            body: Body::Data(vec![b"body".to_vec()]),
            ..Message::default()
        });
        // Every truncation and every single-byte change: an error or a message, no panic.
        for cut in 0..good.len() {
            let _ = decode(&good[..cut]);
        }
        for i in 0..good.len() {
            for b in [0x00, 0x45, 0xd0, 0xff] {
                let mut bad = good.clone();
                bad[i] = b;
                let _ = decode(&bad);
            }
        }
        // A count that cannot fit, a size past the end, an unknown code.
        assert!(decode(&[0x00, 0x53, 0x74, 0xd1, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x00, 0x53, 0x75, 0xb0, 0xff, 0xff, 0xff, 0xf0, 1]).is_err());
        assert!(decode(&[0x00, 0x53, 0x75, 0x99]).is_err());
        // Nesting deeper than MAX_DEPTH.
        let mut deep = Value::Null;
        for _ in 0..MAX_DEPTH + 5 {
            deep = Value::List(vec![deep]);
        }
        let bytes = encode(&Message {
            body: Body::Value(deep),
            ..Message::default()
        });
        let err = decode(&bytes).unwrap_err();
        assert!(err.what.contains("nesting"), "{err}");
    }
}
