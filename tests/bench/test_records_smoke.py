"""A tiny run of the records seeding script and benchmark on both stores, so they
cannot rot. The figures are never asserted."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.contract.conftest import MONGO_URL, drop_database, require

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"stats", "stats_heaviest", "rating", "board_first", "board_deep", "history_first",
         "history_next"}


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def seed_and_measure(url: str, tmp_path: Path) -> None:
    seeded = run("seed_records.py", "--history-url", url, "--games", "600", "--players",
                 "40", "--batch", "100")
    assert "seeded 600 games" in seeded
    out = tmp_path / "records.json"
    run("records_bench.py", "--history-url", url, "--players", "40", "--requests", "60",
        "--json", str(out))
    figures = json.loads(out.read_text())["figures"]
    assert set(figures) == KINDS
    assert all({"n", "p50", "p90", "p99", "max"} <= set(f) for f in figures.values())


def test_seed_and_measure_on_sqlite(tmp_path: Path) -> None:
    seed_and_measure(f"sqlite:///{tmp_path / 'records.db'}", tmp_path)


@pytest.mark.services
def test_seed_and_measure_on_the_mongodb_protocol_server(tmp_path: Path) -> None:
    require("mongo", MONGO_URL, 27017)
    url = f"{MONGO_URL}_{uuid.uuid4().hex[:8]}"
    try:
        seed_and_measure(url, tmp_path)
    finally:
        drop_database(url)
