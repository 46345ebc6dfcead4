"""``blazing bench``: run the scenarios against blazing and the raw baselines.

For every case (a scenario at one size), every repeat, and every target
(blazing first, then each baseline, minutes apart at most), a fresh server is
spawned pinned to one core, the load generator's worker processes run on the
other, and the server is killed afterwards. The table goes to stdout, progress
to stderr, ``--json`` writes the figures and a PNG chart beside them.
"""

import argparse
import math
import random
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from blazing.bench import capacity, loadgen, procs, report, servers, stats
from blazing.bench.scenarios import DISTRIBUTED_ONLY, SCENARIOS
from blazing.bench.scenarios.common import WorkerSpec
from blazing.bench.scenarios.play import DRIVERS
from blazing.bench.scenarios.spec import merged
from blazing.games import registry

DESCRIPTION = __doc__.split("\n\n")[0] if __doc__ else "blazing bench"
EPILOG = """\
scenarios:
  latency      one game at a time; move → own echo round trip (a roll → own
               `rolled`; p50…max)
  games        N concurrent games with S spectators, played to the end again and
               again for --duration s: commands/s, deliveries/s, round trips
  (latency and games play --game with --seats players; churn plays two-player dice)
  connections  C authenticated idle sockets (spread over worker processes and
               127.x source addresses), ping every --ping-interval s for --hold s:
               server RSS per socket, connect rate, ping round trip under load
  churn        pairs connect, play, drop, reconnect and rejoin at --churn-rate/s:
               rejoin → room_state latency
  reassign     (--mode distributed) paced games while the game services' partitions
               move: a second game service starts (add) or one of two is killed with
               SIGKILL (kill); how long the rooms whose partition moved pause (the
               longest gap between two events of a room, p50 and max over rooms)

examples:
  blazing bench --quick                              # ~1 minute, every scenario
  blazing bench --scenarios latency,games --json artifacts/bench/run.json
  blazing bench --scenarios latency --game bigger_dice --seats 4
  blazing bench --scenarios games --game tic_tac_toe
  blazing bench --url ws://127.0.0.1:8000/ws/games --server-pid 1234 --secret S
  blazing bench --mode distributed --scenarios games --gateways 1,2 --services 1,2 \
      --baselines none --games 100 --think-ms 500     # the scale-out table
  blazing bench --mode distributed --scenarios reassign --games 50 --think-ms 300 \
      --duration 30 --baselines none                  # pauses when partitions move
exit status: 0 all runs clean, 1 some run had errors, 2 bad setup, 130 interrupted
"""

MAX_PER_WORKER = 18_000  # a process may hold 20,000 descriptors
USER_STRIDE = 100_000  # user ids per worker within a run


@dataclass(frozen=True, slots=True)
class CaseSpec:
    label: str
    scenario: str
    params: dict[str, Any]
    workers: int
    deadline_s: float
    topology: servers.Topology | None = None  # distributed: processes of each kind


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers: {text!r}") from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive integers: {text!r}")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blazing bench", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--scenarios", type=_csv, default=[s for s in SCENARIOS if s not in DISTRIBUTED_ONLY],
        help="comma-separated: " + ",".join(SCENARIOS) + " (default: all but reassign, "
        "which needs --mode distributed)")
    add("--repeat", type=int, default=None,
        help="runs of each case per target (default 3; 1 with --quick)")
    add("--quick", action="store_true",
        help="small sizes and one repeat (about a minute) unless sizes are given")
    target = parser.add_argument_group("target")
    target.add_argument("--mode", choices=("embedded", "distributed"), default="embedded",
                        help="spawn `blazing serve` (embedded) or `blazing gateway` + "
                        "`blazing game-service` over Kafka/Redis/MongoDB (distributed)")
    target.add_argument("--url", action="append", default=[],
                        help="target a running server instead (ws://host:port/ws/games); "
                        "repeat it for several gateways of one system (workers are spread "
                        "over them); raise its limits yourself (see docs/performance.md)")
    target.add_argument("--server-pid", type=int, action="append", default=[],
                        help="with --url: its pid, so its RSS can be read (one per --url, "
                        "in the same order)")
    target.add_argument("--secret", default=None,
                        help="JWT secret (default: random; with --url: the server's)")
    target.add_argument("--baselines", type=_csv, default=["raw-aiohttp", "raw-picows"],
                        help="raw baselines to run too: raw-aiohttp,raw-picows or none")
    target.add_argument("--bench-dir", type=Path, default=None,
                        help="folder with raw_aiohttp.py/raw_picows.py (default: the "
                        "checkout's bench/)")
    target.add_argument("--bus-url", default=servers.DEFAULT_BUS_URL,
                        help="distributed mode: bus URL")
    target.add_argument("--state-url", default=servers.DEFAULT_STATE_URL,
                        help="distributed mode: state URL (default "
                        f"{servers.DEFAULT_STATE_URL}); the bench claims that Redis database "
                        "for each run (it must be empty) and flushes it after")
    target.add_argument("--gateways", type=_ints, default=[1],
                        help="distributed mode: gateways to start, comma-separated cases "
                        "(e.g. 1,2; clients are spread over them)")
    target.add_argument("--services", type=_ints, default=[1],
                        help="distributed mode: game services to start, comma-separated "
                        "cases (e.g. 1,2); with --gateways, every combination is a case of "
                        "the scale-out table")
    target.add_argument("--history-url", default=servers.DEFAULT_HISTORY_URL,
                        help="distributed mode: history URL")
    target.add_argument("--server-arg", action="append", default=[],
                        help="extra argument for the spawned blazing server (repeatable)")
    play = parser.add_argument_group("game")
    play.add_argument("--game", choices=sorted(DRIVERS), default="bigger_dice",
                      help="latency and games: the game played (default bigger_dice)")
    play.add_argument("--seats", type=int, default=None,
                      help="latency and games: players per table (default: the game's "
                      "default, 2)")
    sizes = parser.add_argument_group("sizes (every loop also has a deadline)")
    sizes.add_argument("--rolls", type=int, default=None,
                       help="latency: round trips to measure (default 2000)")
    sizes.add_argument("--games", type=_ints, default=None,
                       help="games: concurrent games, comma-separated cases (default 100,500)")
    sizes.add_argument("--spectators", type=int, default=1, help="games: spectators per game")
    sizes.add_argument("--think-ms", type=float, default=0.0,
                       help="games: mean think time of a player on its turn before moving; "
                       "each think time is drawn from an exponential distribution with "
                       "this mean (Poisson-like arrivals; seeded by --seed, so runs are "
                       "reproducible). 0: at once, a closed loop that measures the "
                       "ceiling; ~500–1000 is a human pace, measuring latency at that load")
    sizes.add_argument("--seed", type=int, default=1,
                       help="games: seed of the think-time RNGs (one per table; default 1)")
    sizes.add_argument("--duration", type=float, default=None,
                       help="games: measurement window in seconds (default 15)")
    sizes.add_argument("--connections", type=_ints, default=None,
                       help="connections: sockets, comma-separated cases (default 5000,19000)")
    sizes.add_argument("--ping-interval", type=float, default=None,
                       help="connections: seconds between a socket's pings (default 30)")
    sizes.add_argument("--hold", type=float, default=None,
                       help="connections: seconds to hold the sockets open (default 30)")
    sizes.add_argument("--per-worker", type=int, default=5000,
                       help="connections: most sockets per worker process (default 5000)")
    sizes.add_argument("--churn-rate", type=float, default=None,
                       help="churn: cycles started per second (default 40)")
    sizes.add_argument("--churn-duration", type=float, default=None,
                       help="churn: seconds of starting cycles (default 20)")
    sizes.add_argument("--churn-rolls", type=int, default=2,
                       help="churn: rolls played before the drop")
    sizes.add_argument("--reassign", type=_csv, default=["add", "kill"],
                       help="reassign: what moves the partitions, comma-separated cases: "
                       "add (a second game service starts) and/or kill (one of two is "
                       "killed with SIGKILL); default add,kill")
    sizes.add_argument("--action-after", type=float, default=None,
                       help="reassign: seconds into the window when it happens (default: a "
                       "third of --duration)")
    sizes.add_argument("--workers", type=int, default=2,
                       help="load-generator processes for games and churn (default 2)")
    sizes.add_argument("--connect-concurrency", type=int, default=100,
                       help="handshakes in flight per worker (default 100)")
    out = parser.add_argument_group("output")
    out.add_argument("--json", type=Path, default=None,
                     help="write the figures here, and the PNG chart beside it (.png)")
    out.add_argument("--no-png", action="store_true", help="no PNG chart")
    out.add_argument("--quiet", action="store_true", help="no progress line")
    pins = parser.add_argument_group("cores")
    pins.add_argument("--no-pin", action="store_true",
                      help="do not pin the server (taskset) or the load generator")
    pins.add_argument("--server-core", type=int, default=0, help="server's core (default 0)")
    pins.add_argument("--server-cores", type=_csv, default=None,
                      help="distributed mode: cores for the server processes, one each while "
                      "there are enough, then shared (default: every core but the load "
                      "generator's, else the server core)")
    pins.add_argument("--client-core", type=int, default=1,
                      help="load generator's core (default 1)")
    return parser


def _defaults(args: argparse.Namespace) -> None:
    quick = args.quick
    fill = {
        "rolls": (500, 2000), "games": ([50], [100, 500]), "duration": (5.0, 15.0),
        "connections": ([2000], [5000, 19000]), "ping_interval": (2.0, 30.0),
        "hold": (5.0, 30.0), "churn_rate": (20.0, 40.0), "churn_duration": (5.0, 20.0),
    }
    for name, (small, full) in fill.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    if args.repeat is None:
        args.repeat = 1 if quick else 3
    if args.seats is None:
        args.seats = 2


def topologies(args: argparse.Namespace) -> list[servers.Topology | None]:
    if args.mode != "distributed":
        return [None]
    return [servers.Topology(g, s) for g in args.gateways for s in args.services]


def build_cases(args: argparse.Namespace) -> list[CaseSpec]:
    plain = _build_cases(args)
    shapes = topologies(args)
    if shapes == [None]:
        return plain
    named = len(shapes) > 1 or shapes != [servers.Topology()]
    out: list[CaseSpec] = []
    for case in plain:
        if case.topology is not None:  # a scenario that sets its own (reassign)
            out.append(case)
            continue
        for shape in shapes:
            assert shape is not None
            label = f"{case.label} · {shape.label}" if named else case.label
            # at least one worker per gateway, so that every gateway carries load
            workers = max(case.workers, shape.gateways) if case.scenario != "latency" \
                else case.workers
            out.append(CaseSpec(label, case.scenario, {**case.params,
                                                       "gateways": shape.gateways,
                                                       "services": shape.services},
                                workers, case.deadline_s, shape))
    return out


def _build_cases(args: argparse.Namespace) -> list[CaseSpec]:
    cases: list[CaseSpec] = []
    for name in args.scenarios:
        played = {"game": args.game, "seats": args.seats}
        which = "" if played == {"game": "bigger_dice", "seats": 2} else \
            f" {args.game}×{args.seats}"
        if name == "latency":
            limit = max(30.0, args.rolls / 50.0)
            cases.append(CaseSpec(f"latency{which}", "latency",
                                  {"rolls": args.rolls, "time_limit": limit, **played}, 1,
                                  limit + 60))
        elif name == "games":
            for count in args.games:
                connect_time = count * (args.seats + args.spectators) / 200.0
                paced = f" think exp(mean {args.think_ms:g} ms)" if args.think_ms else ""
                cases.append(CaseSpec(
                    f"games {count}×{args.spectators}{which}{paced}", "games",
                    {"games": count, "spectators": args.spectators, "duration": args.duration,
                     "concurrency": args.connect_concurrency, "max_games_per_table": 100_000,
                     "think_ms": args.think_ms, "seed": args.seed, **played},
                    min(args.workers, count), args.duration + connect_time + 60))
        elif name == "connections":
            for count in args.connections:
                workers = max(args.workers, math.ceil(count / args.per_worker))
                cases.append(CaseSpec(
                    f"connections {count}", "connections",
                    {"connections": count, "ping_interval": args.ping_interval,
                     "hold": args.hold, "concurrency": args.connect_concurrency,
                     "per_worker": args.per_worker},
                    workers, count / 200.0 + args.hold + 90))
        elif name == "reassign":
            think_ms = args.think_ms or 500.0
            after = args.action_after if args.action_after is not None else args.duration / 3
            count = args.games[0]
            connect_time = count * (args.seats + args.spectators) / 200.0
            for action in args.reassign:
                cases.append(CaseSpec(
                    f"reassign {action} · games {count}×{args.spectators}{which} think "
                    f"exp(mean {think_ms:g} ms)", "reassign",
                    {"games": count, "spectators": args.spectators, "duration": args.duration,
                     "concurrency": args.connect_concurrency, "think_ms": think_ms,
                     "seed": args.seed, "action": action, "action_after": after, **played},
                    min(args.workers, count), args.duration + connect_time + 90,
                    servers.Topology(args.gateways[0], 1 if action == "add" else 2)))
        elif name == "churn":
            cases.append(CaseSpec(
                f"churn {args.churn_rate:g}/s", "churn",
                {"rate": args.churn_rate, "duration": args.churn_duration,
                 "max_inflight": max(50, int(args.churn_rate * 5)),
                 "rolls": args.churn_rolls,
                 "max_cycles": int(args.churn_rate * args.churn_duration) + 1},
                args.workers, args.churn_duration + 90))
    return cases


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown or not args.scenarios:
        parser.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    if args.baselines == ["none"]:
        args.baselines = []
    bad = [b for b in args.baselines if b not in servers.RAW_SCRIPTS]
    if bad:
        parser.error(f"unknown baseline(s) {bad}; choose from "
                     f"{', '.join(servers.RAW_SCRIPTS)} or none")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not 1 <= args.per_worker <= MAX_PER_WORKER:
        parser.error(f"--per-worker must be 1..{MAX_PER_WORKER} (20,000 descriptors a process)")
    if any(s in DISTRIBUTED_ONLY for s in args.scenarios) and args.mode != "distributed":
        parser.error("--scenarios reassign needs --mode distributed")
    bad_actions = [a for a in args.reassign if a not in ("add", "kill")]
    if bad_actions or not args.reassign:
        parser.error(f"--reassign takes add and/or kill, not {bad_actions}")
    if args.url and args.mode == "distributed":
        parser.error("--url and --mode distributed exclude each other")
    if args.server_pid and len(args.server_pid) != len(args.url):
        parser.error("give one --server-pid per --url (same order), or none")
    if args.url and not args.secret:
        parser.error("--url needs --secret (the server's JWT secret) to sign tokens")
    if args.workers < 1 or args.spectators < 0 or args.rolls < 1:
        parser.error("--workers and --rolls must be positive, --spectators not negative")
    seats = registry.GAMES[args.game].seats
    if not seats.minimum <= args.seats <= seats.maximum:
        parser.error(f"--seats must be {seats.minimum}..{seats.maximum} for {args.game}")
    if (args.game, args.seats) != ("bigger_dice", 2) and args.baselines:
        # The raw servers speak just enough two-player dice for the drivers (bench/).
        print(f"blazing bench: no raw baselines for {args.game} with {args.seats} seats "
              "(they speak two-player Bigger Dice only)", file=sys.stderr)
        args.baselines = []


class Bench:
    """One benchmark session: its settings, servers and collected figures."""

    def __init__(self, args: argparse.Namespace, collector: report.Collector,
                 spawner: servers.Spawner, baseline_dir: Path | None,
                 client_cores: set[int] | None, progress: report.Progress) -> None:
        self.args, self.collector, self.spawner = args, collector, spawner
        self.baseline_dir = baseline_dir
        self.client_cores = client_cores
        self.progress = progress
        self.secret = args.secret or secrets.token_urlsafe(32)
        self.runs = 0
        self.rng = random.Random()

    def start(self, target: str, case: CaseSpec) -> servers.Server:
        args = self.args
        if target != "blazing":
            assert self.baseline_dir is not None
            return self.spawner.raw(target, self.baseline_dir)
        if args.url:
            return servers.given(args.url, args.server_pid)
        if args.mode == "distributed":
            urls = servers.DistributedUrls(args.bus_url, args.state_url, args.history_url)
            extra = list(args.server_arg)
            if case.scenario == "reassign":  # the services log their partitions at INFO
                extra += ["--log-level", "INFO"]
            return self.spawner.distributed(self.secret, urls, extra,
                                            case.topology or servers.Topology())
        return self.spawner.embedded(self.secret, args.server_arg)

    def specs(self, case: CaseSpec, server: servers.Server) -> list[WorkerSpec]:
        self.runs += 1
        scenario = SCENARIOS[case.scenario]
        endpoints = server.endpoints
        shares = scenario.split(case.params, case.workers)
        if len(shares) % len(endpoints):  # the same load on every gateway
            shares = scenario.split(case.params, -(-len(shares) // len(endpoints))
                                    * len(endpoints))
        base = self.rng.randrange(1, 20_000) * USER_STRIDE
        tag = "b" + secrets.token_hex(3)
        loopback = server.host.startswith("127.")
        return [WorkerSpec(
            scenario=case.scenario, index=i, workers=len(shares),
            host=endpoints[i % len(endpoints)][0], port=endpoints[i % len(endpoints)][1],
            path=server.path, secret=self.secret,
            # a fresh 127.x.0.y per worker and run: no ephemeral-port or TIME_WAIT clash
            source_host=f"127.{1 + self.runs % 250}.0.{2 + i}" if loopback else None,
            user_base=base + i * USER_STRIDE, tag=tag, deadline_s=case.deadline_s,
            params=params) for i, params in enumerate(shares)]

    def run(self, case: CaseSpec, report_case: report.Case, target: str, repeat: int) -> None:
        scenario = SCENARIOS[case.scenario]
        label = f"{case.label} · {target} · run {repeat + 1}/{self.args.repeat}"
        self.progress.start(label)
        began = time.monotonic()
        try:
            server = self.start(target, case)
        except servers.ServerError as exc:
            if target == "blazing":
                raise  # nothing to measure
            self.progress.line(f"  {label}: baseline did not start: {exc}")
            report_case.runs.setdefault(target, []).append(report.Run(
                repeat, {}, 1, [f"did not start: {exc}"[:2000]], {}, 0.0))
            return
        server_info: dict[str, Any] = {"pid": server.pid, "port": server.port}
        if server.cores:
            server_info["cores"] = dict(server.cores)
        shots: dict[str, capacity.Snapshot] = {}
        try:
            pids = [p.pid for p in server.processes] or server.measured_pids

            def hook(name: str) -> dict[str, float]:
                out: dict[str, float] = {}
                if server.metrics and name in scenario.window:
                    shots[name] = capacity.snapshot(server)
                if case.scenario == "reassign":
                    out.update(self.reassign(server, str(case.params["action"]), name))
                rss = [procs.rss_kib(pid) for pid in server.measured_pids]
                if rss and None not in rss:
                    out[f"rss_{name}_kib"] = sum(r for r in rss if r is not None)
                cpu = [procs.cpu_seconds(pid) for pid in pids]
                if cpu and None not in cpu:
                    out[f"cpu_{name}_s"] = sum(c for c in cpu if c is not None)
                busy = procs.machine_busy_seconds()
                if busy is not None:
                    out[f"busy_{name}_s"] = busy
                return out

            specs = self.specs(case, server)
            server_info["workers"] = len(specs)
            outcome = loadgen.run(scenario, specs, hook=hook, progress=self.progress.update,
                                  cores=self.client_cores)
        except loadgen.LoadError as exc:
            self.progress.line(f"  {label}: FAILED: {exc}")
            report_case.runs.setdefault(target, []).append(report.Run(
                repeat, {}, 1, [str(exc)[:2000]], {}, time.monotonic() - began, server_info))
            return
        finally:
            if server.processes:
                self.spawner.stop(server)
        results = outcome.results
        details: dict[str, Any] = {}
        if len(shots) == 2:
            details["capacity"] = capacity.measure(*(shots[n] for n in scenario.window))
        if server.leftovers:
            details["leftovers"] = dict(server.leftovers)
        try:
            metrics = scenario.summarize(results, outcome.marks)
        except (KeyError, ValueError) as exc:
            metrics = {}
            results[0].error_texts.append(f"no figures: {type(exc).__name__}: {exc}")
            results[0].errors += 1
        metrics.update({k: v for k, v in outcome.marks.items() if k.startswith("rss_")})
        metrics.update(cpu_use(scenario.window, outcome))
        metrics.update(details.get("capacity", {}).get("store_per_command", {}))
        metrics.update(details.get("leftovers", {}))
        errors = sum(r.errors for r in results)
        texts = [t for r in results for t in r.error_texts][:20]
        cdf = {series: stats.cdf(merged(results, series)) for series in scenario.cdf_series}
        report_case.runs.setdefault(target, []).append(report.Run(
            repeat, metrics, errors, texts, cdf, time.monotonic() - began, server_info,
            details))
        headline = "  ".join(f"{report.METRICS[k].label} {stats.number(metrics.get(k))}"
                             for k in report.HEADLINE[case.scenario])
        self.progress.line(f"  {label}: {headline}  errors {errors}")
        for text in texts[:3]:
            self.progress.line(f"      {text}")


    def reassign(self, server: servers.Server, action: str, barrier: str) -> dict[str, float]:
        """The reassign scenario's action at its barrier: start a second game service
        (add) or SIGKILL the second of two (kill); the partitions that moved, as marks
        ``moved_<partition>`` (add: those the new service was given, read at the end;
        kill: those the killed one held)."""
        victim = "game-service-2"
        out: dict[str, float] = {}
        if barrier == "action" and action == "add":
            cores = self.spawner.cores
            core = cores[len(server.cores) % len(cores)] if cores else None
            out["action_at"] = time.monotonic()
            self.spawner.add_game_service(server, self.secret, core)
            out["action_done"] = time.monotonic()
        elif barrier == "action" and action == "kill":
            out.update({f"moved_{p}": 1.0 for p in servers.assigned_partitions(server, victim)})
            index = [name for name, _ in server.metrics].index(victim)
            out["action_at"] = out["action_done"] = time.monotonic()
            server.processes[index].send_signal(signal.SIGKILL)
        elif barrier == "window" and action == "add":
            out.update({f"moved_{p}": 1.0 for p in servers.assigned_partitions(server, victim)})
        return out


def _write_png(document: dict[str, Any], path: Path) -> str | None:
    """Draw the chart; returns a note if it could not be drawn."""
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return "PNG chart skipped: matplotlib is not installed (pip install matplotlib)"
    matplotlib.use("Agg")
    from blazing.bench.chart import draw

    draw(document, path)
    return None


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _defaults(args)
    _validate(args, parser)
    notes: list[str] = []
    cpus = procs.usable_cpus()
    client_cores: set[int] | None = None
    server_core: int | None = None
    if args.no_pin:
        notes.append("not pinned (--no-pin): server and load generator share all cores")
    elif len(cpus) < 2 or args.server_core not in cpus or args.client_core not in cpus:
        notes.append(f"not pinned: needs cores {args.server_core} and {args.client_core}, "
                     f"have {sorted(cpus)}")
    else:
        server_core, client_cores = args.server_core, {args.client_core}
        if shutil.which("taskset") is None:
            server_core = None
            notes.append("taskset not found: the server is not pinned")
        procs.pin(client_cores)  # this coordinator, and the workers it forks
    procs.raise_fd_limit()
    baseline_dir = args.bench_dir or servers.bench_dir()
    baselines, skipped = servers.available_baselines(args.baselines, baseline_dir)
    notes.extend(skipped)
    if args.url:
        notes.append(f"target: {', '.join(args.url)} (not spawned; its limits are its own)")
        if not args.server_pid:
            notes.append("no --server-pid: the server's RSS is not measured")
    server_cores: list[int] = []
    cases = build_cases(args)
    if args.mode == "distributed" and server_core is not None:
        server_cores = _server_cores(args, cpus, client_cores, server_core)
        shapes = dict.fromkeys(case.topology for case in cases if case.topology is not None)
        for shape in shapes:
            names = [f"game-service-{i + 1}" for i in range(shape.services)] + \
                [f"gateway-{i + 1}" for i in range(shape.gateways)]
            placed = servers.place(names, server_cores)
            shared = servers.sharing(placed, client_cores)
            where = ", ".join(f"{n} on core {c}" for n, c in placed.items())
            if any(c.scenario == "reassign" and c.params["action"] == "add" for c in cases) \
                    and shape.services == 1:
                where += f" (reassign add: game-service-2 on core " \
                    f"{server_cores[len(names) % len(server_cores)]})"
            notes.append(f"{shape.label}: {where}"
                         + (f" ({'; '.join(shared)}: this machine has {len(cpus)} cores)"
                            if shared else ""))
    if args.mode == "distributed":
        notes.append(f"state: Redis database {args.state_url} claimed per run (empty) and "
                     "flushed after; Kafka topics and a Mongo database of each run's own, "
                     "deleted after (keys, topics and databases left: rows below)")
    for paced in ("games", "reassign"):
        mean = args.think_ms or (500.0 if paced == "reassign" else 0.0)
        if mean and paced in args.scenarios:
            notes.append(f"{paced}: think times exponential with mean {mean:g} ms "
                         f"(Poisson-like moves), seed {args.seed}")
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                if k != "secret"}
    collector = report.Collector(report.machine_info(), settings, notes)
    progress = report.Progress(quiet=args.quiet)
    log_dir = Path(tempfile.mkdtemp(prefix="blazing-bench-"))
    keep_logs = False
    # Ctrl-C and SIGTERM both stop the run (SIGINT is ignored at birth in background jobs)
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT,
                                                                      signal.SIGTERM)}
    status = 0
    try:
        with servers.Spawner(log_dir, server_core, server_cores or None) as spawner:
            bench = Bench(args, collector, spawner, baseline_dir, client_cores, progress)
            for case in cases:
                report_case = collector.case(case.label, case.scenario, case.params)
                for repeat in range(args.repeat):
                    for target in ["blazing", *baselines]:
                        bench.run(case, report_case, target, repeat)
    except KeyboardInterrupt:
        progress.line("blazing bench: interrupted; servers and workers stopped")
        collector.partial = True
        status = 130
    except servers.ServerError as exc:
        progress.line(f"blazing bench: {exc}")
        collector.partial = True
        keep_logs = True
        status = 2
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    document = collector.document()
    sys.stdout.write(report.table(document))
    sys.stdout.write(report.capacity_tables(document))
    sys.stdout.write(report.scale_out_table(document))
    sys.stdout.flush()
    if args.json is not None:
        report.write_json(document, args.json)
        progress.line(f"blazing bench: figures in {args.json}")
        if not args.no_png:
            png = args.json.with_suffix(".png")
            note = _write_png(document, png)
            progress.line(f"blazing bench: {note}" if note else f"blazing bench: chart in {png}")
    if collector.errors:
        keep_logs = True
        status = status or 1
    if keep_logs and any(log_dir.iterdir()):
        progress.line(f"blazing bench: server logs kept in {log_dir}")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)
    return status


def _server_cores(args: argparse.Namespace, cpus: set[int], client_cores: set[int] | None,
                  server_core: int) -> list[int]:
    if args.server_cores:
        try:
            wanted = [int(c) for c in args.server_cores]
        except ValueError:
            raise SystemExit(f"--server-cores: expected core numbers, not {args.server_cores}") \
                from None
        return [c for c in wanted if c in cpus] or [server_core]
    return sorted(cpus - (client_cores or set())) or [server_core]


def cpu_use(window: tuple[str, str], outcome: loadgen.Outcome) -> dict[str, float]:
    """Share of a core used by the server(s) and by the load generator's workers
    (all of them together) over the measured window, in percent."""
    first, last = window
    marks = outcome.marks
    seconds = marks.get(f"{last}_reached", 0.0) - marks.get(f"{first}_released", 0.0)
    if seconds <= 0:
        return {}
    out: dict[str, float] = {}
    if f"cpu_{first}_s" in marks and f"cpu_{last}_s" in marks:
        out["server_cpu_pct"] = 100.0 * (marks[f"cpu_{last}_s"] - marks[f"cpu_{first}_s"]) / seconds
    used = [r.marks[f"{last}_cpu_reached"] - r.marks[f"{first}_cpu_released"]
            for r in outcome.results
            if f"{last}_cpu_reached" in r.marks and f"{first}_cpu_released" in r.marks]
    if used:
        out["loadgen_cpu_pct"] = 100.0 * sum(used) / seconds
    if f"busy_{first}_s" in marks and f"busy_{last}_s" in marks:
        busy = 100.0 * (marks[f"busy_{last}_s"] - marks[f"busy_{first}_s"]) / seconds
        out["other_cpu_pct"] = max(0.0, busy - out.get("server_cpu_pct", 0.0)
                                   - out.get("loadgen_cpu_pct", 0.0))
    return out


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
