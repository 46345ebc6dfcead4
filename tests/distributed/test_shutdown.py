"""SIGTERM at any moment of a process's life ends it within its shutdown timeout:
while it starts (before, while and just after it joins its consumer group) and
while it serves games."""

import asyncio
import random
import time

import pytest

from tests.distributed.cluster import Cluster, Proc
from tests.distributed.test_cluster import client
from tests.e2e.helpers import start_game

pytestmark = pytest.mark.services
SHUTDOWN_TIMEOUT = 8.0  # the processes' SHUTDOWN_TIMEOUT here
MARGIN = 3.0  # for the interpreter to exit after its deadline
START_WINDOW = 3.0  # seconds: signals land anywhere from launch to a little after serving


async def stopped_within(proc: Proc, seconds: float) -> tuple[float, int | None]:
    """SIGTERM now; how long it took to exit, and its status (SIGKILL after
    ``seconds``, which the caller then sees as a status of -9)."""
    began = time.monotonic()
    status = await proc.stop(within=seconds)
    return time.monotonic() - began, status


@pytest.mark.parametrize("kind", ["game-service", "gateway"])
async def test_sigterm_at_random_moments_of_start_up_ends_the_process(
        cluster: Cluster, kind: str) -> None:
    cluster.extra_args = ["--shutdown-timeout", str(SHUTDOWN_TIMEOUT)]
    rng = random.Random()
    outcomes = []
    for attempt in range(8):
        args = [kind, *cluster.common_args()]
        if kind == "gateway":
            args += ["--gateway-id", f"gw-term-{attempt}"]
        proc = await Proc(f"{kind}-{attempt}", args).launch()
        cluster.procs.append(proc)
        delay = rng.uniform(0.3, START_WINDOW)
        await asyncio.sleep(delay)  # the moment to strike is the point of this test
        took, status = await stopped_within(proc, SHUTDOWN_TIMEOUT + MARGIN)
        outcomes.append((round(delay, 2), round(took, 2), status))
        # Exit 0 (stopped cleanly), or the signal's default action when it came before
        # the process set its handler; never the SIGKILL this test sends at the end.
        assert status in (0, -15), f"{kind} after {delay:.2f} s: {status}\n" + "".join(
            proc.output[-30:])
    print(f"\n{kind}: (signal after s, exit after s, status) {outcomes}")


async def test_sigterm_while_serving_games_ends_every_process(cluster: Cluster) -> None:
    cluster.extra_args = ["--shutdown-timeout", str(SHUTDOWN_TIMEOUT)]
    service = await cluster.game_service()
    gateway = await cluster.gateway()
    players = [await client(gateway, 100 + n, f"p{n}") for n in range(8)]
    rooms = []
    for n in range(0, 8, 2):
        rooms.append(await start_game(players[n], players[n + 1], f"Load {n}"))
    stop = asyncio.Event()

    async def roll(n: int) -> None:  # each pair keeps rolling, turn or not
        room_id, _ = rooms[n // 2]
        while not stop.is_set():
            await players[n].send("bigger_dice.roll", room_id=room_id)
            await asyncio.sleep(0.01)

    load = [asyncio.create_task(roll(n)) for n in range(8)]
    try:
        await asyncio.sleep(random.uniform(0.2, 1.5))  # strike mid-load
        for proc in (service, gateway):
            took, status = await stopped_within(proc, SHUTDOWN_TIMEOUT + MARGIN)
            assert status == 0, f"{proc.name}: {status}\n" + "".join(proc.output[-30:])
            assert took < SHUTDOWN_TIMEOUT + MARGIN
    finally:
        stop.set()
        await asyncio.gather(*load, return_exceptions=True)
        for ws in players:
            await ws.close()


async def test_sigterm_while_waiting_for_a_broker_that_does_not_answer_ends_the_process(
        cluster: Cluster) -> None:
    """Start-up waits for its broker (for seconds, when it accepts connections but
    does not answer); a stop must not wait with it."""
    connected = asyncio.Event()
    silent = await asyncio.start_server(lambda reader, writer: connected.set(),
                                        "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    args = [*cluster.common_args(), "--shutdown-timeout", str(SHUTDOWN_TIMEOUT)]
    args[args.index("--bus-url") + 1] = f"kafka://127.0.0.1:{port}"
    proc = await Proc("service-silent-broker", ["game-service", *args]).launch()
    cluster.procs.append(proc)
    try:
        await asyncio.wait_for(connected.wait(), 30)  # it now waits for an answer
        took, status = await stopped_within(proc, SHUTDOWN_TIMEOUT + MARGIN)
        assert status == 0, "".join(proc.output[-30:])
        assert took < 3.0
    finally:
        silent.close()
