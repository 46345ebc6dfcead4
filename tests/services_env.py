"""Where the real backing servers of the ``services`` tests listen.

The ports come from the same variables ``scripts/services`` reads (``REDIS_PORT``,
``KAFKA_PORT``, ``MONGO_PORT``), so one environment starts a set of servers and points
the tests at it: several sets can run side by side (e.g. a fault test that restarts its
own Kafka while other tests use theirs).
"""

import os

HOST = "127.0.0.1"
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
KAFKA_PORT = int(os.environ.get("KAFKA_PORT", "9092"))
MONGO_PORT = int(os.environ.get("MONGO_PORT", "27017"))

REDIS_BASE = f"redis://{HOST}:{REDIS_PORT}"
KAFKA_BOOTSTRAP = f"{HOST}:{KAFKA_PORT}"
MONGO_BASE = f"mongodb://{HOST}:{MONGO_PORT}"
