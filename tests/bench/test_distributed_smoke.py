"""A tiny distributed bench run over the real servers: the store traffic, the
capacity model and the cleanup (nothing left behind) are reported."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services_env import KAFKA_BOOTSTRAP, MONGO_BASE, REDIS_BASE
from tests.support.optional import require_modules

require_modules("aiokafka", "redis", "pymongo")

pytestmark = pytest.mark.services
# The bench flushes the database it runs on: the test suite's other users of the
# default Redis are on databases 13 (tests/distributed) and 15 (tests/contract).
REDIS_URL = os.environ.get("TEST_BENCH_REDIS_URL", f"{REDIS_BASE}/14")


def test_a_tiny_distributed_run_reports_capacity_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "blazing", "bench", "--mode", "distributed",
         "--scenarios", "games", "--games", "3", "--duration", "2", "--think-ms", "50",
         "--gateways", "2", "--repeat", "1", "--no-pin", "--quiet", "--baselines", "none",
         "--bus-url", f"kafka://{KAFKA_BOOTSTRAP}", "--state-url", REDIS_URL,
         "--history-url", f"{MONGO_BASE}/blazing_bench_smoke", "--json", str(out),
         "--no-png"], capture_output=True, text=True, timeout=150, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    [case] = json.loads(out.read_text())["cases"]
    [run] = case["targets"]["blazing"]["runs"]
    assert run["errors"] == 0, run["error_texts"]
    metrics = run["metrics"]
    assert metrics["redis_keys_left"] == 0
    assert metrics["kafka_topics_left"] == 0
    assert metrics["mongo_databases_left"] == 0
    assert metrics["kafka_msgs_per_cmd"] >= 2  # a command, then its events
    assert metrics["redis_in_per_cmd"] > 0
    roll = run["capacity"]["per_type"]["bigger_dice.roll"]
    assert roll["gateway_cpu_us"] > 0 and roll["service_cpu_us"] > 0
    assert roll["redis_calls"] > 0 and roll["kafka_bytes"] > 0
    assert "capacity: games 3×1" in done.stdout
    assert len([name for name in run["server"]["cores"] if name.startswith("gateway")]) == 2
