"""Where the embedded latency tail comes from: one game at a time, as the ``latency``
scenario plays it, with both sides keeping a timeline, then every slow roll matched
against what the server was doing while it waited.

The server (``blazing serve``, rooms in SQLite, pinned to one core) runs here with
hooks that time, on the shared monotonic clock:
  - ``gc0``/``gc1``/``gc2``: collections (``gc.callbacks``);
  - ``commit>1ms``: a group of room commits (the SQLite transaction, on the loop)
    that took a millisecond or more;
  - ``checkpoint``/``restart``: a WAL checkpoint (in the store's thread), and one
    that also starts the WAL over (it holds the commits that come meanwhile);
  - ``history``/``rating``: a finished game written, its ratings computed and written
    (in the history store's thread, holding the GIL for their Python parts);
  - ``game_end``: a roll that ended a game (its ``game_ended`` seen by the client);
  - ``server_lag``/``client_lag``: a 1 ms timer woken more than 2 ms late (that
    process's event loop was held).
The client (the harness's own peers and play loop, pinned to the other core)
records when each roll was sent and answered.

For the rolls at or above a percentile, the table counts how many overlap each kind
of event, against how many would by chance (the share of the run that kind covers
times the number of slow rolls): a kind far above chance is a cause.

    .venv/bin/python bench/tail_trace.py --rolls 20000
    .venv/bin/python bench/tail_trace.py --rolls 20000 --server-arg=--state-url=memory://
"""

import argparse
import asyncio
import atexit
import bisect
import contextlib
import gc
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Span = tuple[str, int, int]  # kind, start ns, end ns (time.perf_counter_ns: CLOCK_MONOTONIC)
LAG_TICK_S = 0.001
LAG_REPORTED_NS = 2_000_000
clock = time.perf_counter_ns


# --- the server side --------------------------------------------------------------------

def _timed(spans: list[Span], kind: str, fn: Callable[..., Any],
           at_least_ns: int = 0) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            end = clock()
            if end - start >= at_least_ns:
                spans.append((kind, start, end))
    return timed


async def _watch_lag(spans: list[Span], kind: str) -> None:
    while True:
        before = clock()
        await asyncio.sleep(LAG_TICK_S)
        late = clock() - before - int(LAG_TICK_S * 1e9)
        if late > LAG_REPORTED_NS:
            spans.append((kind, clock() - late, clock()))


def serve(journal: str, argv: list[str]) -> int:
    """``blazing serve argv`` with the hooks; the spans go to ``journal`` at exit."""
    from blazing import cli
    from blazing.history import sqlite_records
    from blazing.rooms.service import GameService
    from blazing.state import sqlite as state_sqlite

    spans: list[Span] = []
    gc_started = [0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = clock()
        else:
            spans.append((f"gc{info['generation']}", gc_started[0], clock()))

    gc.callbacks.append(on_gc)
    state_sqlite._commit_group = _timed(spans, "commit>1ms", state_sqlite._commit_group,
                                        at_least_ns=1_000_000)
    checkpoint = state_sqlite._checkpoint

    def timed_checkpoint(db: Any, **options: bool) -> None:
        kind = "restart" if options.get("restart") else "checkpoint"
        _timed(spans, kind, checkpoint)(db, **options)

    state_sqlite._checkpoint = timed_checkpoint
    sqlite_records.write_game = _timed(spans, "history", sqlite_records.write_game)
    sqlite_records.rate = _timed(spans, "rating", sqlite_records.rate)
    enter = GameService.__aenter__

    async def enter_and_watch(self: GameService) -> GameService:
        watchers.append(asyncio.create_task(_watch_lag(spans, "server_lag")))
        return await enter(self)

    watchers: list[asyncio.Task[None]] = []
    GameService.__aenter__ = enter_and_watch  # type: ignore[method-assign]
    atexit.register(lambda: Path(journal).write_text(json.dumps(spans)))
    return cli.main(["serve", *argv])


# --- the client side --------------------------------------------------------------------

async def play(port: int, secret: str, rolls: int, spans: list[Span],
               sent_and_answered: list[tuple[int, int]]) -> None:
    from blazing.bench.scenarios import latency
    from blazing.bench.scenarios.common import Stats, WorkerContext, WorkerSpec

    class Timeline(Stats):
        def sample(self, name: str, ns: int) -> None:
            super().sample(name, ns)
            if name == "rtt":
                now = clock()
                sent_and_answered.append((now - ns, now))

        def add(self, name: str, n: int = 1) -> None:
            super().add(name, n)
            if name == "games" and sent_and_answered:  # the last roll ended the game
                spans.append(("game_end", *sent_and_answered[-1]))

    async def no_barrier(_: str) -> None:
        return None

    spec = WorkerSpec("latency", 0, 1, "127.0.0.1", port, "/ws/games", secret, None,
                      1_000, secrets.token_hex(4), 3600.0,
                      {"rolls": rolls, "time_limit": 3000.0})
    ctx = WorkerContext(spec, no_barrier)
    ctx.stats = Timeline()
    watcher = asyncio.create_task(_watch_lag(spans, "client_lag"))
    try:
        await latency.run(ctx)
    finally:
        watcher.cancel()
    if ctx.stats.errors:
        raise SystemExit(f"errors: {ctx.stats.error_texts}")


class _WalPeak:
    """The largest size the WAL file reached, looked at every 0.2 s from a thread."""

    def __init__(self, wal: Path) -> None:
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(wal,), daemon=True)
        self._thread.start()

    def _watch(self, wal: Path) -> None:
        while not self._done.wait(0.2):
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, wal.stat().st_size)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def attribute(slow: list[tuple[int, int]], spans: list[Span], run_ns: int) -> list[
        tuple[str, int, float, float]]:
    """Per kind: slow rolls overlapping it, the number expected by chance, the kind's
    share of the run (its spans' total length, each widened by one median roll)."""
    kinds = sorted({kind for kind, *_ in spans})
    rows = []
    for kind in kinds:
        mine = sorted((s, e) for k, s, e in spans if k == kind)
        covered = sum(e - s for s, e in mine)
        starts = [s for s, _ in mine]
        hits = 0
        for sent, answered in slow:
            i = bisect.bisect_right(starts, answered)
            # Spans are short and do not nest: the latest few starting before the
            # answer are the only ones that can overlap.
            if any(e >= sent for _, e in mine[max(0, i - 8):i]):
                hits += 1
        share = min(1.0, covered / run_ns) if run_ns else 0.0
        rows.append((kind, hits, share * len(slow), share))
    return rows


def report(rolls: list[tuple[int, int]], spans: list[Span]) -> None:
    from blazing.bench.stats import aligned, percentile

    rtts = sorted(answered - sent for sent, answered in rolls)
    run_ns = rolls[-1][1] - rolls[0][0]
    print(f"{len(rtts):,} rolls over {run_ns / 1e9:.1f} s; "
          + ", ".join(f"p{q:g} {percentile(rtts, q) / 1e3:,.0f} µs" for q in (50, 99, 99.9))
          + f", max {rtts[-1] / 1e3:,.0f} µs")
    lengths: dict[str, list[float]] = {}
    for kind, s, e in spans:
        lengths.setdefault(kind, []).append((e - s) / 1e3)
    print("\nevents during the run:")
    print("\n".join(aligned([["kind", "count", "mean µs", "max µs"]] + [
        [kind, f"{len(ls):,}", f"{sum(ls) / len(ls):,.0f}", f"{max(ls):,.0f}"]
        for kind, ls in sorted(lengths.items())])))
    for q in (99.0, 99.9):
        bar = percentile(rtts, q)
        slow = [(s, a) for s, a in rolls if a - s >= bar]
        print(f"\nrolls at or above p{q:g} ({bar / 1e3:,.0f} µs): {len(slow)}")
        print("\n".join(aligned([["kind", "overlapping", "by chance", "share of run"]] + [
            [kind, f"{hits:,}", f"{chance:.1f}", f"{share:.2%}"]
            for kind, hits, chance, share in attribute(slow, spans, run_ns)])))
        explained = sum(1 for s, a in slow if any(
            k != "game_end" and e >= s and st <= a for k, st, e in spans))
        print(f"  overlapping any timed event but game ends: {explained} of {len(slow)}")


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        return serve(sys.argv[2], sys.argv[3:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rolls", type=int, default=20_000)
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--client-core", type=int, default=1)
    parser.add_argument("--server-arg", action="append", default=[],
                        help="more `blazing serve` options (repeat)")
    args = parser.parse_args()
    from blazing.bench.servers import free_port, taskset, wait_ready

    port, secret = free_port(), secrets.token_urlsafe(32)
    work = Path(tempfile.mkdtemp(prefix="blazing-tail-"))
    journal = work / "server-spans.json"
    flags = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING",
             "--history-url", f"sqlite:///{work / 'history.db'}",
             "--state-url", f"sqlite:///{work / 'state.db'}",
             "--rate-per-second", "100000", "--rate-burst", "100000",
             "--turn-seconds", "3600", "--idle-timeout", "3600", *args.server_arg]
    log = work / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*taskset(args.server_core), sys.executable, __file__, "--serve", str(journal),
             *flags], env={**os.environ, "JWT_SECRET": secret}, stdout=out,
            stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", [server], [log])
        os.sched_setaffinity(0, {args.client_core})
        spans: list[Span] = []
        rolls: list[tuple[int, int]] = []
        gc.freeze()  # the client's own collections would show as client lag
        wal_peak = _WalPeak(work / "state.db-wal")
        asyncio.run(play(port, secret, args.rolls, spans, rolls))
        wal_peak.stop()
    finally:
        server.terminate()
        server.wait(30)
    spans += [(str(k), int(s), int(e)) for k, s, e in json.loads(journal.read_text())]
    shutil.rmtree(work, ignore_errors=True)
    report(rolls, spans)
    print(f"\nthe room store's WAL file at its largest: {wal_peak.peak / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
