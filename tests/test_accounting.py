"""blazing.accounting without servers: the tally of one command, the CPU of its own
steps only, and what reaches the counters."""

import asyncio
import time

import pytest

from blazing import accounting, metrics


def sample(counter: object) -> float:
    return float(counter._value.get())  # type: ignore[attr-defined]


def spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def test_a_command_is_charged_its_own_steps_not_the_tasks_between() -> None:
    kids = accounting.children("game-service", "test.own_steps")
    before = sample(kids.cpu), sample(kids.commands)

    async def busy_neighbour() -> None:
        spin(0.05)  # runs while the command waits: not the command's

    async def command() -> str:
        spin(0.02)
        neighbour = asyncio.create_task(busy_neighbour())
        await asyncio.sleep(0.01)
        await neighbour
        accounting.bus_published(3, 300)
        accounting.store_call(40)
        accounting.store_received(60)
        accounting.history_written()
        return "done"

    assert await accounting.metered("game-service", command(), "test.own_steps") == "done"
    cpu = sample(kids.cpu) - before[0]
    assert 0.015 < cpu < 0.045, cpu
    assert sample(kids.commands) - before[1] == 1
    assert sample(kids.bus_messages) >= 3 and sample(kids.bus_bytes) >= 300
    assert sample(kids.store_calls) >= 1
    assert sample(kids.store_sent) >= 40 and sample(kids.store_received) >= 60
    assert sample(kids.history_writes) >= 1


async def test_the_type_can_be_named_while_handling_and_errors_pass_through() -> None:
    kids = accounting.children("gateway", "test.named")
    before = sample(kids.commands)

    async def frame() -> None:
        accounting.name_command("test.named")
        await asyncio.sleep(0)
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await accounting.metered("gateway", frame())
    assert sample(kids.commands) - before == 1


async def test_cancellation_reaches_the_command_and_is_counted() -> None:
    kids = accounting.children("game-service", "test.cancelled")
    before = sample(kids.commands)
    cleaned = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            cleaned.set()

    task = asyncio.create_task(accounting.metered("game-service", slow(), "test.cancelled"))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned.is_set()
    assert sample(kids.commands) - before == 1


async def test_work_outside_a_command_is_counted_under_none() -> None:
    accounting.set_process("gateway")
    kids = accounting.children("gateway", accounting.NONE)
    before = sample(kids.bus_messages)
    accounting.bus_published(2, 10)
    assert sample(kids.bus_messages) - before == 2
    accounting.set_process("game-service")


def test_the_command_type_is_read_from_the_envelope_bytes() -> None:
    envelope = b'{"event_id":"ab12","event_type":"bigger_dice.roll","timestamp":"x"}'
    assert accounting.command_type_of(envelope) == "bigger_dice.roll"
    assert accounting.command_type_of(b"garbage") == "(undecodable)"


def test_the_counters_are_registered_under_their_names() -> None:
    names = {metrics.COMMAND_CPU._name, metrics.COMMAND_BUS_MESSAGES._name,  # type: ignore[attr-defined]
             metrics.COMMAND_STORE_BYTES._name}  # type: ignore[attr-defined]
    assert names == {"blazing_command_cpu_seconds", "blazing_command_bus_messages",
                     "blazing_command_store_bytes"}
