"""Prometheus metrics, served at ``/metrics`` by every process with HTTP.

The same figures the benchmarks print, for operators in production: open
connections, commands by type, errors by code, command → event latency, bus
publish and delivery latency, and sockets closed for being too slow.
"""

from functools import cache

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

# Latency buckets from 100 µs to 5 s: a roll round trip is ~1 ms embedded, more via Kafka.
_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1.0, 2.5, 5.0)

CONNECTIONS = Gauge("blazing_connections", "Open WebSocket connections on this gateway")
COMMANDS = Counter("blazing_commands_total", "Commands accepted by the gateway", ["type"])
ERRORS = Counter("blazing_errors_total", "Error events sent to clients", ["code"])
COMMAND_LATENCY = Histogram(
    "blazing_command_latency_seconds",
    "From the gateway accepting a command to the game service publishing its events",
    buckets=_BUCKETS)
BUS_PUBLISH = Histogram(
    "blazing_bus_publish_seconds",
    "Time to publish one command (gateway) or all events of one command (game service)",
    ["topic"], buckets=_BUCKETS)
# Label children looked up once: .labels() costs about a microsecond per call.
PUBLISH_COMMAND = BUS_PUBLISH.labels("commands")
PUBLISH_EVENTS = BUS_PUBLISH.labels("events")
EVENT_DELIVERY = Histogram(
    "blazing_event_delivery_seconds",
    "From the game service stamping an event to the gateway queueing it to sockets",
    buckets=_BUCKETS)
DELIVERIES = Counter("blazing_event_deliveries_total", "Event frames queued to sockets")
SLOW_CLOSES = Counter("blazing_slow_consumer_closes_total",
                      "Sockets closed because their outbound queue overflowed (4409)")
CLOSES = Counter("blazing_socket_closes_total", "Sockets closed by the server", ["code"])
REFUSED_CONNECTIONS = Counter(
    "blazing_refused_connections_total",
    "Connections refused at accept (open_connections, connect_rate), cut for not sending "
    "their request headers in time (handshake_timeout) or for sending more than 16 KiB of "
    "them (head_too_large)", ["reason"])
BAD_HTTP_REQUESTS = Counter(
    "blazing_bad_http_requests_total",
    "Malformed HTTP requests answered with 400 by the HTTP parser (logged at DEBUG only)")
PROTOCOL_ERRORS = Counter(
    "blazing_protocol_errors_total",
    "WebSocket frames that broke RFC 6455 (unmasked, reserved bits, bad opcode, continuation "
    "out of place…): the connection is failed with 1002 and nothing is logged above DEBUG")
RELEASED_GATEWAYS = Counter(
    "blazing_released_gateways_total",
    "Gateways taken for dead (no heartbeat within GATEWAY_TTL) whose sockets a game "
    "service released")
PRODUCER_RENEWALS = Counter(
    "blazing_bus_producer_renewals_total",
    "Bus producers replaced after they could no longer send (e.g. out of sequence after a "
    "broker restart under load)")
CONSUMER_RENEWALS = Counter(
    "blazing_bus_consumer_renewals_total",
    "Bus consumers replaced after their offset commits kept failing while the broker "
    "answered")
OUTBOX_REPUBLISHED = Counter(
    "blazing_outbox_republished_total",
    "Room events sent again from the outbox because their first publish was not confirmed")

# What each command type costs, per process role (``process``: gateway or game-service)
# and command ``type``: blazing.accounting keeps the totals in plain numbers (no lock on
# the hot path) and reports them through a collector when /metrics is scraped. Type
# "(none)" is work outside any command (timers, outbox resends, heartbeats, history
# writes), "(unpublished)" gateway frames that publish nothing (auth, ping, refusals).
# field of accounting.Totals -> (counter name without _total, help, extra labels)
PER_COMMAND: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "commands": ("blazing_command_handled",
                 "Commands handled (a gateway: frames; a game service: commands)", ()),
    "cpu": ("blazing_command_cpu_seconds",
            "Thread CPU time spent handling commands (the handler's own steps, not the "
            "socket I/O around it nor other tasks meanwhile)", ()),
    "bus_messages": ("blazing_command_bus_messages",
                     "Messages handed to the Kafka producer", ()),
    "bus_bytes": ("blazing_command_bus_bytes",
                  "Key and value bytes handed to the Kafka producer", ()),
    "store_calls": ("blazing_command_store_calls",
                    "Round trips to Redis (a command, a script or a pipeline each)", ()),
    "store_sent": ("blazing_command_store_bytes", "Bytes sent to and received from Redis",
                   ("sent",)),
    "store_received": ("blazing_command_store_bytes", "Bytes sent to and received from Redis",
                       ("received",)),
    "history_writes": ("blazing_command_history_writes",
                       "Game records written to the history store", ()),
}


@cache
def commands_of(command_type: str) -> Counter:
    return COMMANDS.labels(command_type)


@cache
def errors_of(code: str) -> Counter:
    return ERRORS.labels(code)


__all__ = ["CONTENT_TYPE_LATEST", "generate_latest"]
