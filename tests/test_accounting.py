"""blazing.accounting without servers: the tally of one command, the CPU of its own
steps only, and what reaches the counters."""

import asyncio
import time

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from blazing import accounting


def spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def test_a_command_is_charged_its_own_steps_not_the_tasks_between(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounting, "CPU_SAMPLE_EVERY", 1)  # time every command
    kept = accounting.totals("game-service", "test.own_steps")

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
    assert 0.015 < kept.cpu < 0.045, kept.cpu
    assert kept.commands == 1
    assert (kept.bus_messages, kept.bus_bytes) == (3, 300)
    assert (kept.store_calls, kept.store_sent, kept.store_received) == (1, 40, 60)
    assert kept.history_writes == 1


async def test_the_type_can_be_named_while_handling_and_errors_pass_through() -> None:
    kept = accounting.totals("gateway", "test.named")

    async def frame() -> None:
        accounting.name_command("test.named")
        await asyncio.sleep(0)
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await accounting.metered("gateway", frame())
    assert kept.commands == 1


async def test_cancellation_reaches_the_command_and_is_counted() -> None:
    kept = accounting.totals("game-service", "test.cancelled")
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
    assert kept.commands == 1


async def test_work_outside_a_command_is_counted_under_none() -> None:
    accounting.set_process("gateway")
    kept = accounting.totals("gateway", accounting.NONE)
    before = kept.bus_messages
    accounting.bus_published(2, 10)
    assert kept.bus_messages - before == 2
    accounting.set_process("game-service")


def test_the_command_type_is_read_from_the_envelope_bytes() -> None:
    envelope = b'{"event_id":"ab12","event_type":"bigger_dice.roll","timestamp":"x"}'
    assert accounting.command_type_of(envelope) == "bigger_dice.roll"
    assert accounting.command_type_of(b"garbage") == "(undecodable)"


def test_the_totals_are_scraped_as_counters() -> None:
    kept = accounting.totals("game-service", "test.scraped")
    kept.commands, kept.cpu, kept.store_sent, kept.store_received = 4, 0.5, 100, 200
    found = {}
    for family in text_string_to_metric_families(generate_latest().decode()):
        for sample in family.samples:
            if sample.labels.get("type") == "test.scraped":
                found[(sample.name, sample.labels.get("direction"))] = sample.value
    assert found[("blazing_command_handled_total", None)] == 4
    assert found[("blazing_command_cpu_seconds_total", None)] == 0.5
    assert found[("blazing_command_store_bytes_total", "sent")] == 100
    assert found[("blazing_command_store_bytes_total", "received")] == 200
    assert found[("blazing_command_bus_bytes_total", None)] == 0


async def test_cpu_is_timed_on_a_sample_and_counted_for_all(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounting, "CPU_SAMPLE_EVERY", 4)
    kept = accounting.totals("game-service", "test.sampled")

    async def command() -> None:
        spin(0.005)
        accounting.bus_published(1, 10)

    for _ in range(8):
        await accounting.metered("game-service", command(), "test.sampled")
    assert kept.commands == 8 and kept.bus_messages == 8  # traffic: every command
    assert 0.025 < kept.cpu < 0.07, kept.cpu  # 2 timed × 4 ≈ 8 × 5 ms
