"""What every gateway pays for every event: each gateway reads the whole events topic
(a consumer group of its own) and drops the events that have no socket of its own.

Publishes ``--events`` envelopes of a roll's ``rolled`` event to a topic of its own,
reads them back through the real ``KafkaBus`` subscription as a gateway does (batches,
envelope decoded, audience read), prints the CPU per event, and deletes the topic.

    .venv/bin/python bench/event_broadcast.py --bootstrap 127.0.0.1:9092 --events 30000
"""

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime

import msgspec
from aiokafka.admin import AIOKafkaAdminClient

from blazing.bus.kafka import KafkaBus
from blazing.protocol.envelope import (
    Audience,
    AudienceType,
    Envelope,
    decode_envelope,
    encode_envelope,
)

ROLLED = (b'{"type":"bigger_dice.rolled","room_id":"room_abcdefghijklmnop","seq":12,'
          b'"player_id":1001,"player_username":"ann","roll":4,"new_score":3,"auto":false}')


def envelope() -> bytes:
    return encode_envelope(Envelope(
        event_id=uuid.uuid4().hex + ":1", event_type="bigger_dice.rolled",
        timestamp=datetime.now(UTC), actor=None,
        audience=Audience(type=AudienceType.ROOM, user_ids=[1001, 1002, 1003],
                          room_id="room_abcdefghijklmnop"),
        payload=msgspec.Raw(ROLLED)))


async def measure(bootstrap: str, events: int) -> None:
    topic = f"bench-broadcast-{uuid.uuid4().hex[:8]}"
    data = envelope()
    try:
        async with KafkaBus(bootstrap, ensure_topics=[topic]) as bus:
            for start in range(0, events, 500):
                count = min(500, events - start)
                await bus.publish_many(topic, [(f"room_{i % 100}", data) for i in range(count)])
        async with KafkaBus(bootstrap) as bus:
            # Timed from the subscription (a group that starts at the topic's beginning,
            # unlike a gateway's) to the last event: every fetch and decode is inside.
            cpu, wall, seen = time.process_time(), time.perf_counter(), 0
            subscription = await bus.subscribe(topic, f"bench-broadcast-{uuid.uuid4().hex[:6]}")
            while seen < events:
                for message in await subscription.next_batch(256):
                    _ = decode_envelope(message.value).audience  # what the hub looks at
                    seen += 1
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{seen} events of {len(data)} bytes read in {wall:.2f} s: "
              f"{cpu / seen * 1e6:.1f} µs of CPU per event")
    finally:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--events", type=int, default=30_000)
    args = parser.parse_args()
    asyncio.run(measure(args.bootstrap, args.events))


if __name__ == "__main__":
    main()
