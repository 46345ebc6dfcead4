"""The chaos suite runs over a server set of its own (tests/chaos/servers.py), which
it starts clean, faults, and stops (and wipes) at the end; and it prints what it
measured after the run, pass or fail."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.servers import SERVICE_NAMES, ServerSet

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
REPORT: list[str] = []  # lines of the measurement table, filled in by the phases


@pytest.fixture(scope="session")
def chaos_servers() -> Iterator[ServerSet]:
    servers = ServerSet()
    try:
        servers.run("wipe", *SERVICE_NAMES)  # whatever an earlier run left
        servers.run("up", *SERVICE_NAMES)
    except RuntimeError as exc:
        # A missing server is a failure, not a skip: this suite exists to run.
        pytest.fail(f"the chaos suite's servers did not start: {exc}")
    try:
        yield servers
    finally:
        if not os.environ.get("CHAOS_KEEP_SERVERS"):
            servers.run("wipe", *SERVICE_NAMES)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORT:
        return
    terminalreporter.section("chaos: games finished and pauses per fault")
    for line in REPORT:
        terminalreporter.write_line(line)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "chaos-report.md").write_text("\n".join(REPORT) + "\n")
