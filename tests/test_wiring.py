"""How settings reach the adapters they configure."""

from tests.support.optional import require_modules

require_modules("aiokafka")

from blazing.bus.kafka import KafkaBus  # noqa: E402
from blazing.wiring import open_bus  # noqa: E402


def test_topic_partitions_reach_the_kafka_bus() -> None:
    bus = open_bus("kafka://127.0.0.1:9092", ["games.commands"], "svc-1", partitions=12)
    assert isinstance(bus, KafkaBus)
    assert (bus.topic_partitions, bus.ensure_topics, bus.instance_id) == (
        12, ("games.commands",), "svc-1")
