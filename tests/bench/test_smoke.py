"""A tiny run of every benchmark scenario, so the harness cannot rot.

Each run spawns `blazing serve` and the raw baselines, drives them with the
multi-process load generator for a second or two, and must finish with zero
errors and the documented JSON keys. The figures themselves are never asserted.
"""

import importlib.util
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from blazing.bench import stats

TINY = ["--repeat", "1", "--no-pin", "--quiet", "--workers", "2"]
CASES: dict[str, tuple[list[str], set[str]]] = {
    "latency": (["--rolls", "30"],
                {"rtt_p50_us", "rtt_p99_us", "rtt_p999_us", "rtt_max_us", "rolls_per_s"}),
    "games": (["--games", "3", "--spectators", "1", "--duration", "1.5"],
              {"commands_per_s", "deliveries_per_s", "rolls_per_s", "rtt_p50_us",
               "rtt_p99_us"}),
    "connections": (["--connections", "40", "--per-worker", "15", "--hold", "1",
                     "--ping-interval", "0.3"],
                    {"connections", "connect_per_s", "kib_per_conn", "ping_p99_us",
                     "connect_p99_us"}),
    "churn": (["--churn-rate", "6", "--churn-duration", "1.5"],
              {"cycles_per_s", "rejoin_p50_us", "rejoin_p99_us", "connect_p99_us"}),
}


def run_bench(*args: str, timeout: float = 100) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blazing", "bench", *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize("scenario", list(CASES))
def test_a_tiny_run_completes_without_errors(scenario: str, tmp_path: Path) -> None:
    flags, keys = CASES[scenario]
    out = tmp_path / "bench.json"
    done = run_bench("--scenarios", scenario, *flags, *TINY, "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    document: dict[str, Any] = json.loads(out.read_text())
    assert {"schema", "machine", "settings", "notes", "cases", "partial"} <= document.keys()
    assert {"nproc", "cpu_model", "mem_total_kib", "python"} <= document["machine"].keys()
    assert document["partial"] is False
    [case] = document["cases"]
    assert case["scenario"] == scenario
    expected = {"blazing", "raw-aiohttp"}
    if importlib.util.find_spec("picows") is not None:
        expected.add("raw-picows")
    assert set(case["targets"]) == expected
    for name, target in case["targets"].items():
        assert target["errors"] == 0, (name, target["runs"][0]["error_texts"])
        [run] = target["runs"]
        assert keys <= run["metrics"].keys(), (name, sorted(run["metrics"]))
        assert keys <= target["summary"].keys()
        assert {"min", "median", "max"} == target["summary"][sorted(keys)[0]].keys()
    assert set(case["ratios"]) == expected - {"blazing"}
    assert scenario in done.stdout  # the table
    if importlib.util.find_spec("matplotlib") is not None:
        assert out.with_suffix(".png").stat().st_size > 0


@pytest.mark.parametrize("game", [["--game", "tic_tac_toe"],
                                  ["--game", "bigger_dice", "--seats", "3"]],
                         ids=["tic_tac_toe", "bigger_dice-3"])
def test_every_game_can_be_benchmarked(game: list[str], tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = run_bench("--scenarios", "latency,games", "--rolls", "30", "--games", "2",
                     "--duration", "1.5", *game, *TINY, "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no raw baselines" in done.stderr
    cases = json.loads(out.read_text())["cases"]
    assert [c["scenario"] for c in cases] == ["latency", "games"]
    for case in cases:
        assert set(case["targets"]) == {"blazing"}
        [run] = case["targets"]["blazing"]["runs"]
        assert run["errors"] == 0 and run["metrics"]["rolls_per_s"] > 0, run["error_texts"]
        assert game[1] in case["case"]


def test_a_secret_that_starts_with_a_dash_reaches_the_server(tmp_path: Path) -> None:
    """A random secret may begin with '-' (1 in 64 for token_urlsafe); it must not be
    taken for an option of the spawned server."""
    out = tmp_path / "bench.json"
    done = run_bench("--scenarios", "latency", "--rolls", "10", "--baselines", "none",
                     "--secret=-starts-with-a-dash-0123456789abcdef", *TINY,
                     "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    [case] = json.loads(out.read_text())["cases"]
    assert case["targets"]["blazing"]["errors"] == 0


def test_help_lists_the_scenarios() -> None:
    done = run_bench("--help", timeout=30)
    assert done.returncode == 0
    for name in CASES:
        assert name in done.stdout


def test_a_bad_option_is_a_usage_error() -> None:
    done = run_bench("--scenarios", "nope", timeout=30)
    assert done.returncode == 2
    assert "unknown scenario" in done.stderr


def test_distributed_mode_says_clearly_what_is_missing() -> None:
    """No broker on port 9 (and, on an older install, no `blazing gateway`): the
    run stops with a usage-level error that says what is missing."""
    done = run_bench("--mode", "distributed", "--bus-url", "kafka://127.0.0.1:9",
                     "--scenarios", "latency", "--rolls", "5", "--baselines", "none", *TINY,
                     timeout=90)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert any(hint in done.stderr for hint in (
        "blazing gateway", "blazing game-service", "Kafka topics", "aiokafka")), done.stderr


def test_percentiles_are_nearest_rank() -> None:
    values = list(range(1, 101))
    assert stats.percentile(values, 50) == 50
    assert stats.percentile(values, 99) == 99
    assert stats.percentile(values, 99.9) == 100
    assert stats.percentile(values, 0) == 1
    assert stats.percentile([], 50) != stats.percentile([], 50)  # NaN
    assert stats.spread([3.0, 1.0, 2.0]) == {"min": 1.0, "median": 2.0, "max": 3.0}


def _serve(secret: str) -> tuple[subprocess.Popen[str], int]:
    """`blazing serve` on a free port with the harness's load limits; (process, port)."""
    from blazing.bench.servers import LOAD_FLAGS

    process = subprocess.Popen(
        [sys.executable, "-m", "blazing", "serve", "--port", "0", "--jwt-secret", secret,
         "--history-url", "sqlite:///:memory:",
         *[part for flag, value in LOAD_FLAGS.items() for part in (flag, value)]],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:  # ends when the server does: no wait without an end
        if "listening on http://" in line:
            return process, int(line.rsplit(":", 1)[1].split("/")[0])
    raise AssertionError(f"server did not start (exit {process.wait()})")


def _open_sockets(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
        return int(json.loads(answer.read())["connections"])


def test_several_urls_share_the_load(tmp_path: Path) -> None:
    """--url twice: the workers are spread over both gateways, and both are measured."""
    secret = "smoke-test-secret-0123456789abcdef012345"
    servers = [_serve(secret) for _ in range(2)]
    try:
        out = tmp_path / "bench.json"
        bench = subprocess.Popen(
            [sys.executable, "-m", "blazing", "bench", "--scenarios", "connections",
             "--connections", "40", "--per-worker", "10", "--hold", "3", "--ping-interval",
             "0.5", "--secret", secret, "--json", str(out), *TINY,
             *[part for process, port in servers for part in (
                 "--url", f"ws://127.0.0.1:{port}/ws/games", "--server-pid", str(process.pid))]],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seen = [0, 0]
        deadline = time.monotonic() + 60
        while bench.poll() is None and time.monotonic() < deadline and min(seen) < 20:
            seen = [max(s, _open_sockets(port)) for s, (_, port) in zip(seen, servers,
                                                                        strict=True)]
            time.sleep(0.05)  # polling the servers while the bench runs, with a deadline
        output, _ = bench.communicate(timeout=60)
        assert bench.returncode == 0, output
        assert seen == [20, 20]  # 4 workers of 10, two on each gateway
        [case] = json.loads(out.read_text())["cases"]
        [run] = case["targets"]["blazing"]["runs"]
        assert run["metrics"]["connections"] == 40 and "kib_per_conn" in run["metrics"]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)


def test_reassign_needs_the_distributed_mode_and_help_says_how_play_is_paced() -> None:
    done = run_bench("--scenarios", "reassign", timeout=30)
    assert done.returncode == 2
    assert "needs --mode distributed" in done.stderr
    usage = " ".join(run_bench("--help", timeout=30).stdout.split())
    assert "exponential distribution" in usage and "--gateways" in usage
