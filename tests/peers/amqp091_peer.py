#!/usr/bin/env python3
"""An AMQP 0.9.1 publisher for evt's tests (pika, from PyPI): how most RabbitMQ applications
publish. Declares STREAM as a stream queue, binds it to the direct exchange `orders-x` with
routing key `order-7`, and publishes one message through the exchange with 0.9.1 properties
(timestamp in seconds, headers, message id, correlation id, content type).

    amqp091_peer.py AMQP_PORT STREAM
"""

import pika, sys
port, stream = int(sys.argv[1]), sys.argv[2]
conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port, credentials=pika.PlainCredentials("guest", "guest")))
ch = conn.channel()
ch.queue_declare(stream, durable=True, arguments={"x-queue-type": "stream"})
ch.exchange_declare("orders-x", "direct", durable=True)
ch.queue_bind(stream, "orders-x", routing_key="order-7")
ch.confirm_delivery()
props = pika.BasicProperties(content_type="application/json", message_id="m-1", timestamp=1767225600,
                             headers={"attempt": 3, "tenant": "eu", "ok": True}, correlation_id="c-9")
ch.basic_publish("orders-x", "order-7", b'{"id":7}', props)
conn.close()
