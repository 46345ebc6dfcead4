"""Routine faults under load: two gateways and two game services (real processes) over
the suite's own Redis, Kafka and FerretDB; in each phase 20 games are played, each by
two players on different gateways with a spectator, and one fault is injected once
they are under way. Every game must end, and everything the clients saw must hold up
(tests/chaos/games.py); the pauses and the readiness answers are measured and
reported in a table after the run."""

import ast
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
import pytest_asyncio
from aiokafka.partitioner import murmur2  # type: ignore[import-untyped]

from tests.chaos.conftest import ARTIFACTS, REPORT
from tests.chaos.games import Game, percentile_50
from tests.chaos.seats import Seat
from tests.chaos.servers import ServerSet
from tests.distributed.cluster import Cluster, Proc

pytestmark = [pytest.mark.chaos, pytest.mark.services,
              pytest.mark.asyncio(loop_scope="module")]

GAMES = 20
THINK = 0.15  # seconds a player takes to roll
UNDER_WAY = 6  # rolls every game has seen before the fault
DOWN_FOR = 2.0  # seconds a killed process or server stays down before it is started again
PHASE_TIMEOUT = 150.0  # seconds for the games of a phase to end after the fault
HISTORY_WITHIN = 60.0  # seconds for a finished game to be in the history
LOGS = ARTIFACTS / "chaos-logs"  # every process's output, written at the end
# Game services join as static group members (INSTANCE_ID), as docs/deploy.md advises;
# CHAOS_STATIC_MEMBERS=0 measures dynamic membership instead.
STATIC_MEMBERS = os.environ.get("CHAOS_STATIC_MEMBERS", "1") != "0"
PROCESS_ARGS = ["--turn-seconds", "60", "--grace-seconds", "60", "--max-connects-per-ip", "0",
                "--shutdown-timeout", "10"]


@dataclass
class Table:
    """The processes under test and the servers they run over."""

    servers: ServerSet
    cluster: Cluster
    services: dict[str, Proc] = field(default_factory=dict)
    gateways: dict[str, Proc] = field(default_factory=dict)

    def ws_urls(self) -> list[str]:
        """The gateways alive now, always in the same order."""
        return [p.ws_url for _, p in sorted(self.gateways.items()) if p.alive]

    def processes(self) -> list[Proc]:
        return [*self.services.values(), *self.gateways.values()]

    async def start_service(self, name: str) -> Proc:
        static = ["--instance-id", f"chaos-service-{name}"] if STATIC_MEMBERS else []
        proc = Proc(f"service-{name}", ["game-service", *self.cluster.common_args(), *static])
        self.services[name] = proc
        self.cluster.procs.append(proc)
        return await proc.start()

    async def start_gateway(self, name: str) -> Proc:
        proc = Proc(f"gateway-{name}", ["gateway", *self.cluster.common_args(),
                                        "--gateway-id", f"chaos-gw-{name}"])
        self.gateways[name] = proc
        self.cluster.procs.append(proc)
        return await proc.start()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def table(chaos_servers: ServerSet) -> AsyncIterator[Table]:
    cluster = Cluster(kafka=chaos_servers.kafka, redis=chaos_servers.redis,
                      mongo=chaos_servers.mongo, extra_args=PROCESS_ARGS)
    running = Table(chaos_servers, cluster)
    try:
        await running.start_service("a")  # creates the topics
        await running.start_service("b")
        await running.start_gateway("a")
        await running.start_gateway("b")
        yield running
    finally:
        await cluster.stop_all()
        LOGS.mkdir(parents=True, exist_ok=True)
        for n, proc in enumerate(cluster.procs):
            (LOGS / f"{n:02d}-{proc.name}.log").write_text("".join(proc.output))


# --- faults: each returns when it is over (what was stopped runs again) ---------------


@dataclass
class Marks:
    """Loop times of a fault: when it struck, and when the replacement of a killed
    process was launched, if one was."""

    fault: float = 0.0
    relaunched: float | None = None
    serving: float | None = None  # when the relaunched process said it serves
    partitions: set[int] | None = None  # of games.commands, held by the killed service


async def no_fault(table: Table, marks: Marks) -> None:
    return None


async def kill_a_game_service(table: Table, marks: Marks) -> None:
    marks.partitions = held_partitions(table.services["a"])
    await table.services["a"].kill()
    await asyncio.sleep(DOWN_FOR)  # the outage lasts this long
    marks.relaunched = asyncio.get_running_loop().time()
    marks.serving = (await table.start_service("a")).ready_at


def held_partitions(service: Proc) -> set[int]:
    """The partitions of games.commands a game service said it was given last."""
    said = [line for line in service.output if "kafka partitions assigned:" in line]
    return set(ast.literal_eval(said[-1].rsplit(":", 1)[1].strip()))


def partition_of(room_id: str, partitions: int = 6) -> int:
    """The partition a room's commands go to (the producer's default partitioner)."""
    return int(murmur2(room_id.encode()) & 0x7FFFFFFF) % partitions


async def kill_a_gateway(table: Table, marks: Marks) -> None:
    await table.gateways["a"].kill()  # its clients reconnect to the other one
    await asyncio.sleep(DOWN_FOR)
    marks.relaunched = asyncio.get_running_loop().time()
    marks.serving = (await table.start_gateway("a")).ready_at


def restart(server: str) -> Callable[[Table, Marks], Awaitable[None]]:
    async def fault(table: Table, marks: Marks) -> None:
        await table.servers.services("restart", server)

    return fault


def kill(server: str) -> Callable[[Table, Marks], Awaitable[None]]:
    async def fault(table: Table, marks: Marks) -> None:
        await table.servers.services("kill", server)
        await asyncio.sleep(DOWN_FOR)
        await table.servers.services("up", server)

    return fault


@dataclass(frozen=True)
class Phase:
    name: str
    fault: Callable[[Table, Marks], Awaitable[None]]
    # What every process must have said while the server was down (long enough for a
    # probe to see it): "unready" (503), "degraded" (200, naming it), or nothing.
    expect: str = ""


PHASES = [
    Phase("no fault", no_fault),
    Phase("kill -9 a game service, restart after 2 s", kill_a_game_service),
    Phase("kill -9 a gateway, clients move, restart after 2 s", kill_a_gateway),
    Phase("Redis restart", restart("redis")),
    Phase("Redis kill -9, start after 2 s", kill("redis"), expect="unready"),
    Phase("Kafka restart", restart("kafka"), expect="unready"),
    Phase("Kafka kill -9, start after 2 s", kill("kafka"), expect="unready"),
    Phase("FerretDB restart", restart("mongo")),
    Phase("FerretDB kill -9, start after 2 s", kill("mongo"), expect="degraded"),
]


class Readiness:
    """Polls every process's /readyz while a phase runs."""

    def __init__(self, table: Table) -> None:
        self.table = table
        # (loop time, process, what it said: "ready", "degraded", "unready", "silent")
        self.samples: list[tuple[float, str, str]] = []
        self._task: asyncio.Task[None] | None = None

    async def _ask(self, http: aiohttp.ClientSession, proc: Proc) -> str:
        loop = asyncio.get_running_loop()
        try:
            async with http.get(f"{proc.url}/readyz") as response:
                body = await response.json()
                said = ("unready" if response.status == 503 else
                        "degraded" if body.get("degraded") else "ready")
        except (aiohttp.ClientError, TimeoutError):
            said = "silent"  # not answering (restarting)
        self.samples.append((loop.time(), proc.name, said))
        return said

    async def _poll(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            while True:
                await asyncio.gather(*(self._ask(http, proc) for proc in self.table.processes()
                                       if proc.alive and proc.url))
                await asyncio.sleep(0.5)  # a probe's period, as a supervisor's would be

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def said_between(self, start: float, end: float, what: str) -> set[str]:
        return {name for at, name, said in self.samples if start <= at <= end and said == what}

    async def all_ready(self, within: float) -> bool:
        """Poll (with a deadline) until every process says it is ready, and whole."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            while loop.time() < deadline:
                answers = await asyncio.gather(*(self._ask(http, p)
                                                 for p in self.table.processes()))
                if all(said == "ready" for said in answers):
                    return True
                await asyncio.sleep(0.5)  # polling, with the deadline above
        return False


def seat(user_id: int, name: str, table: Table, home: int, *, rolls: bool) -> Seat:
    return Seat(user_id=user_id, name=name, gateways=table.ws_urls, home=home, rolls=rolls,
                think=THINK)


async def until(predicate: Callable[[], bool], within: float) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - a poll with a deadline, over many clients
            await asyncio.sleep(0.05)


REPORT_HEADER = ["| phase | games finished | pause p50 | pause max | notes |",
                 "|---|---|---|---|---|"]


@pytest.mark.timeout(420)
@pytest.mark.parametrize("phase", PHASES, ids=[p.name for p in PHASES])
async def test_every_game_finishes_and_holds_up_through(phase: Phase, table: Table) -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()
    index = PHASES.index(phase)
    base = 2**40 + 10_000 * index  # 48-bit ids, as dev login gives out
    games = [Game(seat(base + 3 * n, f"p{index}h{n}", table, 0, rolls=True),
                  seat(base + 3 * n + 1, f"p{index}g{n}", table, 1, rolls=True),
                  seat(base + 3 * n + 2, f"p{index}s{n}", table, n % 2, rolls=False))
             for n in range(GAMES)]
    readiness = Readiness(table)
    marks = Marks()
    problems: list[str] = []
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*(g.set_up(f"chaos {index}.{n}") for n, g in enumerate(games)))
        readiness.start()
        await until(lambda: all(g.rolls() >= UNDER_WAY for g in games), within=60)
        marks.fault = loop.time()
        await phase.fault(table, marks)
        back = loop.time()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PHASE_TIMEOUT):
                await asyncio.gather(*(s.ended.wait() for g in games for s in g.players))
        finished = sum(g.ended is not None for g in games)
        problems += [p for g in games for p in g.problems()]
        async with aiohttp.ClientSession() as http:
            base_url = next(p.url for p in table.gateways.values() if p.alive)
            for found in await asyncio.gather(*(
                    g.history_problems(http, base_url, HISTORY_WITHIN) for g in games)):
                problems += found
        if not await readiness.all_ready(within=60):
            problems.append("not every process said it is ready again within 60 s")
        unready = readiness.said_between(marks.fault, back + 2.0, "unready")
        if phase.expect:
            said = readiness.said_between(marks.fault, back + 2.0, phase.expect)
            if said != {p.name for p in table.processes()}:
                problems.append(f"while the server was down only {sorted(said)} said "
                                f"{phase.expect}")
        pauses = [g.pause(marks.fault) for g in games]
        notes = [f"fault {back - marks.fault:.1f} s"]
        if marks.relaunched is not None and marks.serving is not None:
            # A game service's rooms wait for its replacement; the others must not.
            held = marks.partitions or set()
            waited = [g for g in games if partition_of(g.room_id) in held]
            kept = [g for g in games if g not in waited]
            longest = max(g.pause_between(marks.fault, marks.serving) for g in kept)
            notes.append(f"{len(kept)} rooms {'of the survivor ' if held else ''}paused "
                         f"{longest:.2f} s at most while it was down")
            resumed = [r for g in waited if (r := g.moved_after(marks.serving)) is not None]
            if resumed:
                notes.append(f"{len(waited)} rooms of the killed one moved again "
                             f"{max(resumed):.2f} s (max) after its replacement served, "
                             f"{marks.serving - marks.relaunched:.1f} s after its launch")
        elif phase.fault is not no_fault:
            recovered = [r for g in games if (r := g.moved_after(back)) is not None]
            if recovered:
                notes.append(f"rooms moved again {percentile_50(recovered):.2f} s (p50), "
                             f"{max(recovered):.2f} s (max) after the server was back")
        unavailable = sum(1 for g in games for s in g.players for e in s.refused
                          if e.get("code") == "SERVICE_UNAVAILABLE")
        reconnects = sum(s.sockets - 1 for g in games for s in g.seats)
        resyncs = sum(s.resyncs for g in games for s in g.seats)
        notes.append(f"{unavailable} SERVICE_UNAVAILABLE, {reconnects} reconnects, "
                     f"{resyncs} resyncs, not ready: {', '.join(sorted(unready)) or '-'}; "
                     f"phase {loop.time() - began:.0f} s")
        if not REPORT:
            REPORT.extend(REPORT_HEADER)
        REPORT.append(f"| {phase.name} | {finished}/{GAMES} | {percentile_50(pauses):.2f} s | "
                      f"{max(pauses):.2f} s | {'; '.join(notes)} |")
        print(REPORT[-1])
    finally:
        await readiness.stop()
        await asyncio.gather(*(g.close() for g in games))
    assert not problems, "\n".join(problems[:40])
    assert finished == GAMES
