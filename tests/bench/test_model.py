"""The harness's own arithmetic: think times, core placement, the capacity model
and the reassign pauses (no servers)."""

import math
import random
import statistics

from blazing.bench import capacity, servers
from blazing.bench.cli import build_cases, build_parser
from blazing.bench.scenarios.games import think_times
from blazing.bench.scenarios.reassign import partition_of, room_pauses


def test_think_times_are_exponential_with_the_mean_and_reproducible() -> None:
    draw = think_times(0.5, random.Random("1-0-0"))
    values = [draw() for _ in range(20_000)]
    assert abs(statistics.fmean(values) - 0.5) < 0.02
    assert abs(statistics.median(values) - 0.5 * math.log(2)) < 0.02  # not constant
    again = think_times(0.5, random.Random("1-0-0"))
    assert [again() for _ in range(5)] == values[:5]
    assert think_times(0.0, random.Random(1))() == 0.0  # closed loop


def test_processes_get_cores_of_their_own_then_share_and_say_so() -> None:
    names = ["game-service-1", "gateway-1", "gateway-2"]
    placed = servers.place(names, [0, 2])
    assert placed == {"game-service-1": 0, "gateway-1": 2, "gateway-2": 0}
    assert servers.sharing(placed, {1}) == ["game-service-1, gateway-2 share core 0"]
    assert servers.sharing(servers.place(names[:1], [1]), {1}) == [
        "game-service-1, the load generator share core 1"]
    assert servers.place(names, []) == dict.fromkeys(names)


def test_every_configuration_is_a_case_and_reassign_sets_its_own() -> None:
    args = build_parser().parse_args(
        ["--mode", "distributed", "--scenarios", "games,reassign", "--gateways", "1,2",
         "--services", "1,2", "--games", "10", "--duration", "5"])
    from blazing.bench.cli import _defaults

    _defaults(args)
    cases = build_cases(args)
    shapes = [(c.scenario, c.topology) for c in cases]
    assert shapes[:4] == [("games", servers.Topology(g, s)) for g in (1, 2) for s in (1, 2)]
    assert shapes[4:] == [("reassign", servers.Topology(1, 1)),
                          ("reassign", servers.Topology(1, 2))]
    assert cases[4].params["think_ms"] == 500.0  # reassign is always paced


def _samples(process: str, kind: str, **values: float) -> capacity.Samples:
    names = {"handled": "blazing_command_handled_total",
             "cpu": "blazing_command_cpu_seconds_total",
             "messages": "blazing_command_bus_messages_total",
             "bytes": "blazing_command_bus_bytes_total",
             "calls": "blazing_command_store_calls_total",
             "accepted": "blazing_commands_total"}
    out: capacity.Samples = {}
    for key, value in values.items():
        labels = (("type", kind),) if key == "accepted" else (("process", process),
                                                              ("type", kind))
        out[(names[key], labels)] = value
    return out


def test_the_capacity_model_divides_each_side_by_its_commands() -> None:
    before = capacity.Snapshot(
        {"gateway-1": _samples("gateway", "roll", handled=10, cpu=0.001, accepted=10),
         "game-service-1": _samples("game-service", "roll", handled=10, cpu=0.002)},
        {"total_net_input_bytes": 1000, "total_net_output_bytes": 500,
         "total_commands_processed": 10})
    after = capacity.Snapshot(
        {"gateway-1": _samples("gateway", "roll", handled=110, cpu=0.011, messages=100,
                               bytes=20_000, accepted=110),
         "game-service-1": {**_samples("game-service", "roll", handled=110, cpu=0.052,
                                       messages=300, calls=250),
                            **_samples("game-service", "(none)", calls=50)}},
        {"total_net_input_bytes": 101_000, "total_net_output_bytes": 50_500,
         "total_commands_processed": 2010})
    model = capacity.measure(before, after)
    roll = model["per_type"]["roll"]
    assert model["accepted"] == 100
    assert roll["commands"] == 100
    assert math.isclose(roll["gateway_cpu_us"], 100.0)
    assert math.isclose(roll["service_cpu_us"], 500.0)
    assert roll["kafka_messages"] == 4.0 and roll["redis_calls"] == 2.5
    every = model["per_type"]["all, per accepted command"]
    assert every["redis_calls"] == 3.0  # background work included
    assert model["store_per_command"] == {
        "redis_in_per_cmd": 1000.0, "redis_out_per_cmd": 500.0, "redis_cmds_per_cmd": 20.0,
        "kafka_msgs_per_cmd": 4.0, "kafka_bytes_per_cmd": 200.0}
    assert "roll" in capacity.table("case", model)


def test_pauses_are_the_longest_gap_after_the_action_of_rooms_playing_then() -> None:
    seen = {"a": [1.0, 1.5, 2.0, 9.0, 9.5], "b": [1.0, 2.5], "c": [6.0, 6.5],
            "d": [1.0, 2.0, 4.0]}
    ended = {"b": 2.5}
    pauses = room_pauses(seen, ended, action_at=3.0, window_end=12.0)
    assert pauses["a"] == (0.5, 7.0)
    assert "b" not in pauses  # ended before the action
    assert "c" not in pauses  # began after it
    assert pauses["d"] == (1.0, 8.0)  # never moved again: silent until the window's end
    assert all(0 <= partition_of(f"room_{i}") < 6 for i in range(50))
    assert len({partition_of(f"room_{i}") for i in range(50)}) > 1
