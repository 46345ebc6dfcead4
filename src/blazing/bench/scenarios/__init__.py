"""The scenarios, by name."""

from blazing.bench.scenarios import churn, connections, games, latency, reassign
from blazing.bench.scenarios.spec import Scenario

SCENARIOS: dict[str, Scenario] = {
    "latency": Scenario("latency", latency.PHASES, latency.split, latency.run,
                        latency.summarize, latency.CDF_SERIES, ("setup", "end")),
    "games": Scenario("games", games.PHASES, games.split, games.run, games.summarize,
                      games.CDF_SERIES, ("setup", "window")),
    "connections": Scenario("connections", connections.PHASES, connections.split,
                            connections.run, connections.summarize, connections.CDF_SERIES,
                            ("start", "connected")),
    "churn": Scenario("churn", churn.PHASES, churn.split, churn.run, churn.summarize,
                      churn.CDF_SERIES, ("setup", "end")),
    "reassign": Scenario("reassign", reassign.PHASES, games.split, reassign.run,
                         reassign.summarize, reassign.CDF_SERIES, ("setup", "window")),
}
DISTRIBUTED_ONLY = frozenset({"reassign"})  # not in the default list
