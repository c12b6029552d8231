#!/usr/bin/env python3
"""An independent RabbitMQ Streams client for evt's tests (rstream, from PyPI).

    rstream_peer.py publish PORT STREAM      publishes the messages below, then exits
    rstream_peer.py consume PORT STREAM N    prints the first N messages as JSON lines
    rstream_peer.py batches PORT STREAM      publishes 3 plain messages, then two sub-entry
                                             batches of 5 (gzip, then uncompressed), then 1 more

Each JSON line: offset, body (hex), application_properties (name -> [python type, value]),
message_id, creation_time (ms), routing_key (the x-routing-key annotation).
"""

import asyncio
import json
import sys

from rstream import AMQPMessage, CompressionType, Consumer, ConsumerOffsetSpecification, OffsetType, Producer, amqp_decoder
from rstream._pyamqp.message import Properties

MESSAGES = [
    dict(body=b'{"type":"OrderCreated","n":1}', props={"trace-id": "4a93", "attempt": 2, "ratio": 0.5, "ok": True},
         message_id="m-1", creation_time=1795539600000),
    dict(body=bytes([0, 255, 254]), props={"raw": b"\x00\x01", "big": 2**40, "neg": -7},
         message_id="m-2", creation_time=1795539600001),
]


async def publish(port, stream):
    async with Producer("127.0.0.1", port, username="guest", password="guest", load_balancer_mode=True) as producer:
        for m in MESSAGES:
            message = AMQPMessage(body=m["body"], application_properties=m["props"],
                                  properties=Properties(message_id=m["message_id"], creation_time=m["creation_time"]))
            await producer.send_wait(stream, message)


async def batches(port, stream):
    def message(n):
        return AMQPMessage(body=('{"n":%d}' % n).encode(), application_properties={"n": n})
    async with Producer("127.0.0.1", port, username="guest", password="guest", load_balancer_mode=True) as producer:
        for n in range(3):
            await producer.send_wait(stream, message(n))
        confirmed = asyncio.Event()
        count = [0]

        def on_confirm(status):
            count[0] += 1
            if count[0] == 2:
                confirmed.set()
        await producer.send_sub_entry(stream, [message(n) for n in range(3, 8)], CompressionType.Gzip,
                                      on_publish_confirm=on_confirm)
        await producer.send_sub_entry(stream, [message(n) for n in range(8, 13)], CompressionType.No,
                                      on_publish_confirm=on_confirm)
        await asyncio.wait_for(confirmed.wait(), 30)
        await producer.send_wait(stream, message(13))


def render(value):
    if isinstance(value, bytes):
        return ["bytes", value.hex()]
    return [type(value).__name__, value]


async def consume(port, stream, count):
    seen = []
    done = asyncio.Event()

    async def on_message(message, context):
        m = amqp_decoder(message) if isinstance(message, (bytes, bytearray)) else message
        props = {(k.decode() if isinstance(k, bytes) else k): render(v)
                 for k, v in (m.application_properties or {}).items()}
        annotations = {(k.decode() if isinstance(k, bytes) else k): v for k, v in (m.message_annotations or {}).items()}
        routing = annotations.get("x-routing-key")
        p = m.properties
        body = m.body if isinstance(m.body, (bytes, bytearray)) else b"".join(m.body)
        seen.append(dict(offset=context.offset, body=bytes(body).hex(), application_properties=props,
                         message_id=(p.message_id.decode() if isinstance(p.message_id, bytes) else p.message_id) if p else None,
                         creation_time=p.creation_time if p else None,
                         routing_key=routing.decode() if isinstance(routing, bytes) else routing))
        if len(seen) >= count:
            done.set()

    consumer = Consumer("127.0.0.1", port, username="guest", password="guest", load_balancer_mode=True)
    await consumer.start()
    await consumer.subscribe(stream, on_message, decoder=amqp_decoder,
                             offset_specification=ConsumerOffsetSpecification(OffsetType.FIRST, None))
    await asyncio.wait_for(done.wait(), 30)
    await consumer.close()
    for s in seen[:count]:
        print(json.dumps(s))


if __name__ == "__main__":
    what, port, stream = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if what == "publish":
        asyncio.run(publish(port, stream))
    elif what == "batches":
        asyncio.run(batches(port, stream))
    else:
        asyncio.run(consume(port, stream, int(sys.argv[4])))
