"""The aiohttp application: ``/ws/games``, the page, the JSON API and probes.

Routes:
``GET /ws/games`` WebSocket; ``GET /games`` the page (and ``GET /games/join/{code}``,
the same page, which reads the invite code from its own address); ``GET
/games/replay/{game_id}`` the replay viewer (which reads the game id from its own
address); ``GET /static/*``;
``GET /healthz`` liveness (503 once the process found itself broken beyond repair
and is exiting); ``GET /readyz`` whether it can do its work now: 503 naming what
fails when a dependency it cannot work without (bus, state) does not answer or its
bus clients do not work; 200 with ``degraded`` when only an optional one (history)
fails; ``GET /api/session`` who the cookie says you are; ``GET /api/games`` the
games and their messages;
``POST /api/dev/login`` / ``POST /api/dev/logout`` (dev login only);
the records API of :mod:`blazing.web.records` (history, replays, stats, ratings,
leaderboards; public).
"""

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage

from blazing import metrics
from blazing.errors import DependencyUnavailable
from blazing.games import registry
from blazing.gateway.aiohttp_transport import websocket_handler
from blazing.gateway.auth import AuthError, TokenVerifier, issue_token
from blazing.gateway.server import AUTH_COOKIE, WS_PATH, Gateway
from blazing.history.base import HistoryStore
from blazing.ids import UserId
from blazing.protocol.names import NameRefused, clean_name, name_key
from blazing.supervision import Liveness
from blazing.web import records

log = logging.getLogger(__name__)


class _BadRequestsAtDebug(logging.Filter):
    """aiohttp logs each malformed HTTP request (a 400 it answers itself) at ERROR with
    a traceback: the client's doing, so a client would control our log volume. Counted
    in a metric and logged at DEBUG instead; faults of ours still log at ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, BadHttpMessage):
            metrics.BAD_HTTP_REQUESTS.inc()
            log.debug("bad HTTP request: %s", exc)
            return False
        return True


logging.getLogger("aiohttp.server").addFilter(_BadRequestsAtDebug())

WEB_DIR = Path(__file__).parent
PROBE_TIMEOUT = 2.0  # seconds a readiness probe may take before it counts as failing
DEV_TOKEN_TTL = 7 * 24 * 3600
DEV_USERNAME_MAX = 32

Probe = Callable[[], Awaitable[None]]


class _DevLoginBody(msgspec.Struct):
    username: str


@dataclass(frozen=True, slots=True)
class DevLogin:
    secret: str
    ttl_seconds: float = DEV_TOKEN_TTL


def dev_user_id(username: str) -> UserId:
    """A stable id per username, so the same name is the same player across runs (and
    names that differ only by case or invisible characters are the same player)."""
    digest = hashlib.sha256(name_key(username).encode()).digest()
    return UserId(int.from_bytes(digest[:6], "big") + 1)


def _positive_int(text: str | None, name: str, upper: int = 2**63 - 1) -> int:
    """``text`` as an integer in 1..``upper`` (ASCII digits only), or HTTP 400 naming
    ``name``: ``int()`` alone would take "٤٢", " 42 " or "4_2", and a 64-bit
    database column cannot hold more."""
    if text is None:
        raise _bad_request(f"{name} is required")
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or \
            not 1 <= int(text) <= upper:
        raise _bad_request(f"{name} must be an integer from 1 to {upper}")
    return int(text)


def _bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=msgspec.json.encode({"error": reason}).decode(),
                              content_type="application/json")


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(body=msgspec.json.encode(data), status=status,
                        content_type="application/json")


def build_app(
    *,
    gateway: Gateway,
    history: HistoryStore,
    verifier: TokenVerifier,
    probes: dict[str, Probe],
    dev_login: DevLogin | None,
    liveness: Liveness | None = None,
    optional: frozenset[str] = frozenset(),
) -> web.Application:
    """``optional`` names the probes whose failure leaves the process ready (degraded)."""
    app = web.Application(client_max_size=64 * 1024)

    async def games_page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_DIR / "games.html")

    async def replay_page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_DIR / "replay.html")

    async def game_catalogue(request: web.Request) -> web.Response:
        """The games this server runs: seats and wire messages (for the page)."""
        return _json({"games": registry.catalogue()})

    async def root(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/games")

    async def session(request: web.Request) -> web.Response:
        """Who the cookie says you are. Always 200 (a signed-out visitor is not an
        error, and a 401 would show up in the browser console)."""
        body: dict[str, object] = {"signed_in": False, "dev_login": dev_login is not None}
        token = request.cookies.get(AUTH_COOKIE)
        if not token:
            return _json(body)
        try:
            identity = verifier.verify(token)
        except AuthError as exc:
            return _json({**body, "error": str(exc)})
        return _json({**body, "signed_in": True, "user_id": identity.user_id,
                      "username": identity.username, "avatar_id": identity.avatar_id})

    app.router.add_get("/", root)
    app.router.add_get("/games", games_page)
    app.router.add_get("/games/join/{code}", games_page)  # the code never enters the HTML
    app.router.add_get("/games/replay/{game_id}", replay_page)  # nor does the game id
    app.router.add_get(WS_PATH, websocket_handler(gateway))
    _probe_routes(app, probes, lambda: {"connections": gateway.connection_count}, liveness,
                  optional)
    app.router.add_get("/api/session", session)
    app.router.add_get("/api/games", game_catalogue)
    records.add_routes(app, history)
    if (WEB_DIR / "static").is_dir():
        app.router.add_static("/static", WEB_DIR / "static")
    if dev_login is not None:
        _add_dev_login(app, dev_login)
    return app


def _probe_routes(app: web.Application, probes: dict[str, Probe],
                  extra: Callable[[], dict[str, object]] = dict,
                  liveness: Liveness | None = None,
                  optional: frozenset[str] = frozenset()) -> None:
    """/healthz, /readyz and /metrics, shared by gateways and game services."""

    async def healthz(request: web.Request) -> web.Response:
        if liveness is not None and liveness.reason is not None:
            return _json({"status": "failed", "reason": liveness.reason}, status=503)
        return _json({"status": "ok"})

    async def check(probe: Probe) -> str | None:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                await probe()
        except DependencyUnavailable as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {PROBE_TIMEOUT:g} s"
        return None

    async def readyz(request: web.Request) -> web.Response:
        failing: dict[str, str] = {}
        if liveness is not None and liveness.reason is not None:
            failing["process"] = liveness.reason
        # All at once, each bounded: a dependency that hangs is as good as down.
        answers = await asyncio.gather(*map(check, probes.values()))
        down = {name: why for name, why in zip(probes, answers, strict=True)
                if why is not None}
        failing.update({name: why for name, why in down.items() if name not in optional})
        degraded = {name: why for name, why in down.items() if name in optional}
        if failing:
            return _json({"status": "unavailable", "failing": failing, "degraded": degraded},
                         status=503)
        return _json({"status": "ready", **({"degraded": degraded} if degraded else {}),
                      **extra()})

    async def metrics_page(request: web.Request) -> web.Response:
        return web.Response(body=metrics.generate_latest(),
                            headers={"Content-Type": metrics.CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)


def build_probe_app(probes: dict[str, Probe], liveness: Liveness | None = None,
                    optional: frozenset[str] = frozenset()) -> web.Application:
    """The HTTP face of a game service: health, readiness and metrics only."""
    app = web.Application()
    _probe_routes(app, probes, liveness=liveness, optional=optional)
    return app


def _add_dev_login(app: web.Application, dev: DevLogin) -> None:
    async def login(request: web.Request) -> web.Response:
        # JSON only: a form or text/plain body is what a page on another site can send
        # without asking (no CORS preflight), and would sign the visitor in as the
        # attacker's user.
        if request.content_type != "application/json":
            return _json({"error": "send Content-Type: application/json"}, 415)
        try:
            body = msgspec.json.decode(await request.read(), type=_DevLoginBody)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return _json({"error": f"send JSON {{\"username\": \"...\"}}: {exc}"}, 400)
        try:
            username = clean_name(body.username, DEV_USERNAME_MAX, "username")
        except NameRefused as exc:
            return _json({"error": str(exc)}, 400)
        user_id = dev_user_id(username)
        token = issue_token(secret=dev.secret, user_id=user_id, username=username,
                            ttl_seconds=dev.ttl_seconds)
        response = _json({"user_id": user_id, "username": username, "token": token})
        response.set_cookie(AUTH_COOKIE, token, httponly=True, samesite="Lax",
                            secure=request.secure, max_age=int(dev.ttl_seconds), path="/")
        return response

    async def logout(request: web.Request) -> web.Response:
        response = _json({"status": "signed out"})
        response.del_cookie(AUTH_COOKIE, path="/")
        return response

    app.router.add_post("/api/dev/login", login)
    app.router.add_post("/api/dev/logout", logout)
