"""A tiny run of the tail tracer, so it cannot rot: both timelines are kept and every
slow roll is matched against the server's events. The figures are never asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_trace_reports_the_rolls_and_what_overlapped_them() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "tail_trace.py"),
                           "--rolls", "400"],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "400 rolls over" in out
    # Games ended, so the server wrote them to history and rated them.
    assert "  history " in out and "  rating " in out and "  game_end " in out
    assert "rolls at or above p99.9" in out and "overlapping any timed event" in out
    assert "WAL file at its largest" in out
