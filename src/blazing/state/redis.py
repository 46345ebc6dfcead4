"""Room state and presence in Redis (redis-py's asyncio client, hiredis parser).

Keys (docs/protocol.md, "Bus and stores"):

- ``game:room:{room_id}`` — the room JSON without its logs (:func:`encode_room`); the
  compare-and-set token is its ``version`` field, written first so that the script
  reads it from the document's start (no side key to keep in step; a document in
  another order is parsed with ``cjson``). An inactive room's keys also get a PEXPIRE
  of its retention plus :data:`SAFETY_MARGIN_SECONDS`, so a room nobody cleans up
  still goes away.
- ``game:room:{room_id}:moves`` and ``game:room:{room_id}:chat`` — LISTs of the
  room's logs (JSON each): appended to by the commit script, the chat trimmed to
  its last lines, the moves dropped when a new game starts; read only by commands
  that show or record them.
- ``game:rooms:list`` — SET of active room ids.
- ``game:user:{user_id}:room`` — the active room the user plays in.
- ``game:room_name:{name_key}`` — the active listed room holding a case-folded name;
  ``game:invite:{code}`` and ``game:quick:{game_type}:{seats}`` — the other unique
  claims of an active room (its invite code; the quick-play room still filling).
- ``game:open:{game_type}:{seats}`` — ZSET of open tables by creation time (quick play).
- ``game:attempts:{key}`` — a counter of attempts (password tries) with the window's TTL.
- ``game:user:{user_id}:watching`` — SET of room ids the user spectates.
- ``game:timers`` — ZSET of room id scored by its next deadline (epoch seconds).
- ``game:room:{room_id}:outbox`` — LIST of the room's event envelopes not yet confirmed
  (one item per commit: the SHA-1 in hex of its last envelope, then its envelopes
  compressed (:func:`pack_envelopes`), since the outbox is written on every move
  and read back only after a failure)
  sent, oldest first (expires :data:`OUTBOX_TTL_SECONDS` after its last append).
- ``game:outboxes`` — ZSET of room ids with an outbox, scored by when any instance may
  send it (epoch seconds).
- ``ws:presence:{user_id}`` — present while online, with a TTL (60 s by default).
- ``ws:sockets:{user_id}`` — SET of open socket ids, with twice the presence TTL
  (refreshed with presence) so a crashed gateway's sockets expire on their own.
- ``ws:gateways`` — SET of the gateway ids that said they are alive and were not
  released since.
- ``ws:gateway:{gateway_id}`` — present while the gateway is alive (its TTL is
  renewed by the gateway's heartbeat).
- ``ws:gateway:{gateway_id}:sockets`` — HASH of that gateway's socket ids → user ids,
  so that the sockets of a gateway that died can be released by a game service.

Every write of a room is one Lua script (EVALSHA): the checks and all the writes of a
:class:`CommitPlan` happen atomically, in one round trip. Loads and commits made at the
same moment for different rooms (a burst of commands) are coalesced: one ``MGET`` for
the loads, one pipeline of scripts for the commits (:mod:`blazing.state.coalesce`).

redis-py reconnects by itself after a Redis restart and reloads a script the server
forgot (NOSCRIPT; in a pipeline, the adapter does). Its retry of a command whose reply
was lost may run a commit twice; the second run sees the new version and reports
``Conflict``, and the caller's reload finds the command already applied (rooms
remember applied command ids), so nothing happens twice.
"""

import contextlib
import hashlib
import time
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Self

import msgspec
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError

from blazing.errors import Conflict, DependencyUnavailable, ServerFault
from blazing.games.record import MoveRecord
from blazing.ids import GatewayId, RoomId, SocketId, UserId
from blazing.rooms.model import CHAT_LINES_KEPT, ChatLine, Room, decode_room, encode_room
from blazing.state.base import PRESENCE_TTL_SECONDS, CommitPlan, name_claim
from blazing.state.coalesce import Coalescer

ROOMS_LIST = "game:rooms:list"
TIMERS = "game:timers"
OUTBOXES = "game:outboxes"
OUTBOX_TTL_SECONDS = 24 * 3600  # an outbox nobody could send for a day is dropped
SAFETY_MARGIN_SECONDS = 300.0  # an ended room outlives its retention by this much
FALLBACK_RETENTION_SECONDS = 3600.0  # an inactive room without ``expires_at``
DEFAULT_TIMEOUT = 3.0  # seconds to connect or to wait for a reply
MAX_CONNECTIONS = 100  # per client; more concurrent calls wait for one


def room_key(room_id: str) -> str:
    return f"game:room:{room_id}"


def outbox_key(room_id: str) -> str:
    return f"game:room:{room_id}:outbox"


def moves_key(room_id: str) -> str:
    return f"game:room:{room_id}:moves"


def chat_key(room_id: str) -> str:
    return f"game:room:{room_id}:chat"


def player_key(user_id: int) -> str:
    return f"game:user:{user_id}:room"


def watching_key(user_id: int) -> str:
    return f"game:user:{user_id}:watching"


def name_index_key(key: str) -> str:
    return f"game:room_name:{key}"


def claim_key(claim: str) -> str:
    """The key of a unique claim (``state.base``): ``name:x`` is the name index."""
    kind, _, value = claim.partition(":")
    return name_index_key(value) if kind == "name" else f"game:{claim}"


def open_tables_key(kind: str) -> str:
    return f"game:open:{kind}"


def attempts_key(key: str) -> str:
    return f"game:attempts:{key}"


PRESENCE_PREFIX = "ws:presence:"
SOCKETS_PREFIX = "ws:sockets:"


def presence_key(user_id: int) -> str:
    return f"{PRESENCE_PREFIX}{user_id}"


def sockets_key(user_id: int) -> str:
    return f"{SOCKETS_PREFIX}{user_id}"


GATEWAYS = "ws:gateways"


def gateway_key(gateway_id: str) -> str:
    return f"ws:gateway:{gateway_id}"


def gateway_sockets_key(gateway_id: str) -> str:
    return f"ws:gateway:{gateway_id}:sockets"


# Status codes returned by the commit script.
_OK, _STALE, _CLAIM_TAKEN, _PLAYER_ELSEWHERE = 0, 1, 2, 3

# KEYS: room, active list, timers, the open-table set of the room's kind, the room's
# outbox, the outbox index, the room's moves and chat logs, then the keys of unique
# claims to take and to release, the room keys of claimed and released players, the
# watching sets of watch and unwatch users.
# ARGV: room id, expected version ('' = must not exist), room JSON ('' = delete),
# active ('1'/'0'), deadline score ('' = none), PEXPIRE ms for an inactive room,
# open-table score ('' = not an open table), the six key counts, the outbox's due
# score and PEXPIRE ms, '1' when a new game starts the moves log again, the counts of
# moves and of chat lines to append, the chat lines kept, then the moves, the chat
# lines and the commit's envelopes packed in one outbox item.
# Returns {status, detail} and, after an append, the outbox as it was before it.
_COMMIT = """
local rid = ARGV[1]
local current = redis.call('GET', KEYS[1])
if ARGV[2] == '' then
  if current then return {1, 'room exists'} end
else
  if not current then return {1, 'room is gone'} end
  local version = string.match(current, '^{"version":(%d+)[,}]')
  if not version then  -- not written first: version 0 (omitted), or another layout
    local ok, doc = pcall(cjson.decode, current)
    if not ok or type(doc) ~= 'table' then return {1, 'unreadable room'} end
    version = doc['version'] or 0
  end
  if tonumber(version) ~= tonumber(ARGV[2]) then return {1, 'version changed'} end
end
local nk, nrk, nc, nr, nw, nu = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]),
  tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local nm, nch = tonumber(ARGV[17]), tonumber(ARGV[18])
local first = 9
for i = first, first + nk - 1 do
  local owner = redis.call('GET', KEYS[i])
  if owner and owner ~= rid then return {2, KEYS[i]} end
end
local players = first + nk + nrk
for i = players, players + nc - 1 do
  local owner = redis.call('GET', KEYS[i])
  if owner and owner ~= rid then return {3, KEYS[i]} end
end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1], KEYS[7], KEYS[8])
else
  redis.call('SET', KEYS[1], ARGV[3])
  if ARGV[16] == '1' then redis.call('DEL', KEYS[7]) end
  local at = 20
  for i = at, at + nm - 1 do redis.call('RPUSH', KEYS[7], ARGV[i]) end
  at = at + nm
  for i = at, at + nch - 1 do redis.call('RPUSH', KEYS[8], ARGV[i]) end
  if nch > 0 then redis.call('LTRIM', KEYS[8], -tonumber(ARGV[19]), -1) end
  if ARGV[4] ~= '1' then
    redis.call('PEXPIRE', KEYS[1], ARGV[6])
    redis.call('PEXPIRE', KEYS[7], ARGV[6])
    redis.call('PEXPIRE', KEYS[8], ARGV[6])
  else
    redis.call('PERSIST', KEYS[7])
    redis.call('PERSIST', KEYS[8])
  end
end
if ARGV[4] == '1' then
  redis.call('SADD', KEYS[2], rid)
else
  redis.call('SREM', KEYS[2], rid)
end
for i = first, first + nk - 1 do redis.call('SET', KEYS[i], rid) end
first = first + nk
for i = first, first + nrk - 1 do
  if redis.call('GET', KEYS[i]) == rid then redis.call('DEL', KEYS[i]) end
end
first = first + nrk
for i = first, first + nc - 1 do redis.call('SET', KEYS[i], rid) end
first = first + nc
for i = first, first + nr - 1 do
  if redis.call('GET', KEYS[i]) == rid then redis.call('DEL', KEYS[i]) end
end
first = first + nr
for i = first, first + nw - 1 do redis.call('SADD', KEYS[i], rid) end
first = first + nw
for i = first, first + nu - 1 do redis.call('SREM', KEYS[i], rid) end
if ARGV[3] == '' or ARGV[5] == '' then
  redis.call('ZREM', KEYS[3], rid)
else
  redis.call('ZADD', KEYS[3], ARGV[5], rid)
end
if ARGV[7] == '' then
  redis.call('ZREM', KEYS[4], rid)
else
  redis.call('ZADD', KEYS[4], ARGV[7], rid)
end
local envelopes = 20 + nm + nch
if #ARGV < envelopes then return {0, ''} end
local earlier = redis.call('LRANGE', KEYS[5], 0, -1)
redis.call('RPUSH', KEYS[5], ARGV[envelopes])
redis.call('PEXPIRE', KEYS[5], ARGV[15])
redis.call('ZADD', KEYS[6], 'NX', ARGV[14], rid)
return {0, '', unpack(earlier)}
"""

# KEYS: the outbox index. ARGV: now and until (scores), limit, the outbox key's
# prefix and suffix. Returns the rooms due, each now scored ``until``; drops entries
# whose outbox is gone (sent, or expired).
_CLAIM_OUTBOXES = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local live = {}
for _, rid in ipairs(ids) do
  if redis.call('EXISTS', ARGV[4] .. rid .. ARGV[5]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[2], rid)
    live[#live + 1] = rid
  else
    redis.call('ZREM', KEYS[1], rid)
  end
end
return live
"""

# KEYS: the room's outbox, the outbox index. ARGV: the SHA-1 (hex) of the last
# envelope sent, room id. Drops the outbox up to and including the item that ends with
# that envelope (nothing if it is not there any more); an emptied outbox leaves the
# index.
_OUTBOX_SENT = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i = 1, #items do
  if string.sub(items[i], 1, 40) == ARGV[1] then
    redis.call('LTRIM', KEYS[1], i, -1)
    break
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[2]) end
return 0
"""

# KEYS: the attempt counter. ARGV: window in ms. The count in the current window.
_ATTEMPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""

# KEYS: timers. ARGV: max score, limit, room key prefix. Returns the due room ids
# and drops entries whose room key is gone (a room that expired by its safety TTL
# instead of being deleted), so dead entries cannot crowd out live ones.
_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local live = {}
for _, rid in ipairs(ids) do
  if redis.call('EXISTS', ARGV[3] .. rid) == 1 then
    live[#live + 1] = rid
  else
    redis.call('ZREM', KEYS[1], rid)
  end
end
return live
"""

# KEYS: the user's sockets, their presence, the gateway's socket hash. ARGV: socket id.
# 1 if it was the user's last socket.
_SOCKET_CLOSED = """
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
return 1
"""

# KEYS: the gateway set, the gateway's alive key. ARGV: gateway id, TTL in ms.
# Returns 1 if the gateway was still registered.
_GATEWAY_ALIVE = """
local known = redis.call('SADD', KEYS[1], ARGV[1]) == 0
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
if known then return 1 end
return 0
"""

# KEYS: the gateway set, the gateway's alive key, its socket hash.
# ARGV: gateway id, '1' to do nothing while it is alive, the ``ws:sockets:`` and
# ``ws:presence:`` prefixes (a user's keys are only known once the hash is read).
# Returns the users left without any socket, each once; 0 if nothing was released.
_RELEASE_GATEWAY = """
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local registered = redis.call('SREM', KEYS[1], ARGV[1])
local entries = redis.call('HGETALL', KEYS[3])
if registered == 0 and #entries == 0 then return 0 end
local offline, seen = {}, {}
for i = 1, #entries, 2 do
  local socket, user = entries[i], entries[i + 1]
  local sockets = ARGV[3] .. user
  redis.call('SREM', sockets, socket)
  if not seen[user] and redis.call('SCARD', sockets) == 0 then
    seen[user] = true
    redis.call('DEL', ARGV[4] .. user)
    offline[#offline + 1] = user
  end
end
redis.call('DEL', KEYS[2], KEYS[3])
return offline
"""


@contextlib.contextmanager
def _unavailable_on_error(what: str) -> Iterator[None]:
    """Turn a driver failure into the port's ``DependencyUnavailable``."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise DependencyUnavailable(f"redis {what}: {exc}") from exc


def _client(url: str, timeout: float) -> "Redis":
    # A blocking pool: past MAX_CONNECTIONS a call waits (up to ``timeout``) for a
    # free connection; the default pool refuses it at once, which failed bursts such as
    # a gateway's shutdown recording hundreds of closes. A few quick retries ride out
    # a blip (and a restart's reconnect) without holding a command for long once
    # Redis is really down.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=15,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2),
    )
    return Redis.from_pool(pool)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _expire_ms(plan: CommitPlan) -> int:
    """How long an inactive room's key may live: its retention plus a margin."""
    expires = plan.room.expires_at if plan.room is not None else None
    retention = (max(expires.timestamp() - time.time(), 0.0) if expires is not None
                 else FALLBACK_RETENTION_SECONDS)
    return int((retention + SAFETY_MARGIN_SECONDS) * 1000)


def _digest(envelope: bytes) -> bytes:
    return hashlib.sha1(envelope, usedforsecurity=False).hexdigest().encode()


def pack_envelopes(envelopes: Sequence[bytes]) -> bytes:
    """One outbox item: the SHA-1 (hex) of the last envelope, by which the item is
    marked sent, then the envelopes, each after its length, compressed (about a third
    of their size: JSON envelopes repeat their field names)."""
    body = b"".join(len(e).to_bytes(4, "big") + e for e in envelopes)
    return _digest(envelopes[-1]) + zlib.compress(body, 1)


def unpack_envelopes(items: Sequence[bytes | str]) -> list[bytes]:
    """The envelopes of outbox items, in order."""
    envelopes: list[bytes] = []
    for item in items:
        data = item.encode() if isinstance(item, str) else item
        try:
            body = zlib.decompress(data[40:])
        except zlib.error as exc:
            raise ServerFault(f"unreadable outbox item ({exc})") from exc
        at = 0
        while at < len(body):
            size = int.from_bytes(body[at:at + 4], "big")
            envelopes.append(body[at + 4:at + 4 + size])
            at += 4 + size
    return envelopes


_log_encoder = msgspec.json.Encoder()
_move_decoder = msgspec.json.Decoder(MoveRecord)
_chat_decoder = msgspec.json.Decoder(ChatLine)

_CommitCall = tuple[list[str], list[str | int | bytes]]  # the commit script's KEYS, ARGV


def _commit_call(plan: CommitPlan) -> _CommitCall:
    keys = [room_key(plan.room_id), ROOMS_LIST, TIMERS, open_tables_key(plan.table_kind),
            outbox_key(plan.room_id), OUTBOXES, moves_key(plan.room_id),
            chat_key(plan.room_id)]
    keys += [claim_key(c) for c in plan.claims]
    keys += [claim_key(c) for c in plan.releases]
    keys += [player_key(u) for u in plan.claim_players]
    keys += [player_key(u) for u in plan.release_players]
    keys += [watching_key(u) for u in plan.watch]
    keys += [watching_key(u) for u in plan.unwatch]
    args: list[str | int | bytes] = [
        plan.room_id,
        "" if plan.expected_version is None else plan.expected_version,
        b"" if plan.room is None else encode_room(plan.room),
        int(plan.active),
        "" if plan.deadline is None else repr(plan.deadline.timestamp()),
        _expire_ms(plan),
        "" if plan.open_table is None else repr(plan.open_table),
        len(plan.claims), len(plan.releases), len(plan.claim_players),
        len(plan.release_players), len(plan.watch), len(plan.unwatch),
        "" if plan.outbox_due is None else repr(plan.outbox_due.timestamp()),
        OUTBOX_TTL_SECONDS * 1000,
        int(plan.logs.new_game), len(plan.logs.moves), len(plan.logs.chat), CHAT_LINES_KEPT,
        *map(_log_encoder.encode, plan.logs.moves),
        *map(_log_encoder.encode, plan.logs.chat),
        *([pack_envelopes(plan.outbox)] if plan.outbox else []),
    ]
    return keys, args


class RedisRoomStore:
    """The :class:`~blazing.state.base.RoomStore` port on Redis."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """``url`` is ``redis://host:port/db`` or ``rediss://…``; ``timeout`` bounds
        connecting and each reply (seconds)."""
        self._redis = _client(url, timeout)
        self._commit = self._redis.register_script(_COMMIT)
        self._due = self._redis.register_script(_DUE)
        self._attempt = self._redis.register_script(_ATTEMPT)
        self._claim_outboxes = self._redis.register_script(_CLAIM_OUTBOXES)
        self._outbox_sent = self._redis.register_script(_OUTBOX_SENT)
        # Rooms loaded or committed at the same moment (a burst of commands for many
        # rooms) share one MGET and one pipeline of commit scripts; so do the
        # confirmations of their outboxes.
        self._loads = Coalescer(self._load_many)
        self._commits = Coalescer(self._commit_many)
        self._sents = Coalescer(self._sent_many)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._redis.aclose()

    async def load(self, room_id: RoomId, *, logs: bool = False) -> Room | None:
        if logs:
            return await self._load_with_logs(room_id)
        data = await self._loads(room_key(room_id))
        return None if data is None else _decode(data)

    async def _load_with_logs(self, room_id: RoomId) -> Room | None:
        with _unavailable_on_error("load"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.get(room_key(room_id))
                pipe.lrange(moves_key(room_id), 0, -1)
                pipe.lrange(chat_key(room_id), 0, -1)
                data, moves, chat = await pipe.execute()
        if data is None:
            return None
        room = _decode(data)
        if not room.logs_apart:
            return room  # written before logs were kept apart: it holds its own
        try:
            return msgspec.structs.replace(
                room,
                moves=tuple(_move_decoder.decode(m) for m in moves),
                chat=tuple(_chat_decoder.decode(c) for c in chat))
        except msgspec.DecodeError as exc:
            raise ServerFault(f"room {room_id}: unreadable log entry ({exc})") from exc

    async def _load_many(self, keys: list[str]) -> list[bytes | str | Exception | None]:
        with _unavailable_on_error("load"):
            return list(await self._redis.mget(keys))

    async def commit(self, plan: CommitPlan) -> list[bytes]:
        """Check and write ``plan`` atomically; ``Conflict`` if a check fails."""
        status, detail, *earlier = await self._commits(_commit_call(plan))
        if status == _OK:
            return [*unpack_envelopes(earlier), *plan.outbox] if plan.outbox else []
        reason = {_STALE: "stale version", _CLAIM_TAKEN: "a unique key is held elsewhere",
                  _PLAYER_ELSEWHERE: "a player plays elsewhere"}.get(status, "refused")
        raise Conflict(f"room {plan.room_id}: {reason} ({_text(detail)})")

    async def _commit_many(self, calls: list[_CommitCall]) -> list[Any]:
        return await self._run_many(self._commit, calls, "commit")

    async def _run_many(self, script: AsyncScript, calls: list[_CommitCall],
                        what: str) -> list[Any]:
        """Run ``script`` once per call, all in one pipeline (each run is still atomic
        on its own); a failed run fails only its own caller."""
        with _unavailable_on_error(what):
            if len(calls) == 1:
                keys, args = calls[0]
                return [await script(keys=keys, args=args)]
            async with self._redis.pipeline(transaction=False) as pipe:
                for keys, args in calls:
                    pipe.evalsha(script.sha, len(keys), *keys, *args)
                replies = await pipe.execute(raise_on_error=False)
            results: list[Any] = []
            for (keys, args), reply in zip(calls, replies, strict=True):
                if isinstance(reply, NoScriptError):  # a restarted Redis forgot the script
                    reply = await script(keys=keys, args=args)  # loads it again
                elif isinstance(reply, RedisError):
                    reply = DependencyUnavailable(f"redis {what}: {reply}")
                results.append(reply)
            return results

    async def outbox(self, room_id: RoomId) -> list[bytes]:
        with _unavailable_on_error("outbox"):
            items = await self._redis.lrange(outbox_key(room_id), 0, -1)
        return unpack_envelopes(items)

    async def outbox_sent(self, room_id: RoomId, last: bytes) -> None:
        await self._sents(([outbox_key(room_id), OUTBOXES], [_digest(last), room_id]))

    async def _sent_many(self, calls: list[_CommitCall]) -> list[Any]:
        return await self._run_many(self._outbox_sent, calls, "outbox_sent")

    async def claim_outboxes(self, now: datetime, until: datetime, limit: int) -> list[RoomId]:
        prefix, suffix = outbox_key("|").split("|")
        with _unavailable_on_error("claim_outboxes"):
            ids = await self._claim_outboxes(
                keys=[OUTBOXES],
                args=[repr(now.timestamp()), repr(until.timestamp()), limit, prefix, suffix])
        return [RoomId(_text(i)) for i in ids]

    async def player_room(self, user_id: UserId) -> RoomId | None:
        with _unavailable_on_error("player_room"):
            value = await self._redis.get(player_key(user_id))
        return None if value is None else RoomId(_text(value))

    async def watched_rooms(self, user_id: UserId) -> list[RoomId]:
        with _unavailable_on_error("watched_rooms"):
            members = await self._redis.smembers(watching_key(user_id))
        return sorted(RoomId(_text(m)) for m in members)

    async def room_named(self, name: str) -> RoomId | None:
        return await self.owner(name_claim(name))

    async def owner(self, claim: str) -> RoomId | None:
        with _unavailable_on_error("owner"):
            value = await self._redis.get(claim_key(claim))
        return None if value is None else RoomId(_text(value))

    async def open_tables(self, kind: str, limit: int) -> list[RoomId]:
        with _unavailable_on_error("open_tables"):
            ids = await self._redis.zrange(open_tables_key(kind), 0, limit - 1)
        return [RoomId(_text(i)) for i in ids if isinstance(i, bytes | str)]

    async def count_attempt(self, key: str, window_seconds: float) -> int:
        with _unavailable_on_error("count_attempt"):
            count = await self._attempt(keys=[attempts_key(key)],
                                        args=[max(1, int(window_seconds * 1000))])
        return int(count)

    async def active_rooms(self, limit: int) -> list[Room]:
        """Active rooms, oldest first; ids whose room key is gone are skipped."""
        with _unavailable_on_error("active_rooms"):
            ids = list(await self._redis.smembers(ROOMS_LIST))
            values = await self._redis.mget([room_key(_text(i)) for i in ids]) if ids else []
        rooms = [_decode(v) for v in values if v is not None]
        rooms.sort(key=lambda r: (r.created_at, r.room_id))
        return rooms[:limit]

    async def due(self, now: datetime, limit: int) -> list[RoomId]:
        """Rooms whose deadline is at or before ``now``, earliest first."""
        with _unavailable_on_error("due"):
            ids = await self._due(keys=[TIMERS],
                                  args=[repr(now.timestamp()), limit, room_key("")])
        return [RoomId(_text(i)) for i in ids]

    async def ping(self) -> None:
        with _unavailable_on_error("ping"):
            await self._redis.ping()


def _decode(data: bytes | str) -> Room:
    try:
        return decode_room(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ServerFault(f"stored room does not decode: {exc}") from exc


class RedisPresence:
    """The :class:`~blazing.state.base.PresenceStore` port on Redis."""

    def __init__(self, url: str, *, ttl_seconds: float = PRESENCE_TTL_SECONDS,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        """``ttl_seconds`` is how long presence lasts without a refresh; the socket
        set lasts twice as long, so it outlives presence but not a dead gateway."""
        self._redis = _client(url, timeout)
        self._ttl_ms = int(ttl_seconds * 1000)
        self._socket_closed = self._redis.register_script(_SOCKET_CLOSED)
        self._gateway_alive = self._redis.register_script(_GATEWAY_ALIVE)
        self._release_gateway = self._redis.register_script(_RELEASE_GATEWAY)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._redis.aclose()

    async def socket_opened(self, user_id: UserId, socket_id: SocketId,
                            gateway_id: GatewayId) -> None:
        with _unavailable_on_error("socket_opened"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.sadd(sockets_key(user_id), socket_id)
                pipe.pexpire(sockets_key(user_id), 2 * self._ttl_ms)
                pipe.set(presence_key(user_id), b"1", px=self._ttl_ms)
                pipe.hset(gateway_sockets_key(gateway_id), socket_id, str(user_id))
                await pipe.execute()

    async def refresh(self, user_id: UserId) -> None:
        with _unavailable_on_error("refresh"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(presence_key(user_id), b"1", px=self._ttl_ms)
                pipe.pexpire(sockets_key(user_id), 2 * self._ttl_ms)
                await pipe.execute()

    async def socket_closed(self, user_id: UserId, socket_id: SocketId,
                            gateway_id: GatewayId) -> bool:
        """Forget the socket; True (and presence deleted) if it was the last one."""
        with _unavailable_on_error("socket_closed"):
            last = await self._socket_closed(
                keys=[sockets_key(user_id), presence_key(user_id),
                      gateway_sockets_key(gateway_id)], args=[socket_id])
        return bool(last)

    async def is_online(self, user_id: UserId) -> bool:
        with _unavailable_on_error("is_online"):
            return bool(await self._redis.exists(presence_key(user_id)))

    async def gateway_alive(self, gateway_id: GatewayId, ttl_seconds: float) -> bool:
        with _unavailable_on_error("gateway_alive"):
            known = await self._gateway_alive(keys=[GATEWAYS, gateway_key(gateway_id)],
                                              args=[gateway_id, int(ttl_seconds * 1000)])
        return bool(known)

    async def dead_gateways(self) -> list[GatewayId]:
        with _unavailable_on_error("dead_gateways"):
            gateways = [_text(g) for g in await self._redis.smembers(GATEWAYS)]
            async with self._redis.pipeline(transaction=False) as pipe:
                for gateway in gateways:
                    pipe.exists(gateway_key(gateway))
                alive = await pipe.execute()
        return [GatewayId(g) for g, up in zip(gateways, alive, strict=True) if not up]

    async def release_gateway(self, gateway_id: GatewayId, *,
                              only_if_dead: bool = True) -> list[UserId] | None:
        with _unavailable_on_error("release_gateway"):
            users = await self._release_gateway(
                keys=[GATEWAYS, gateway_key(gateway_id), gateway_sockets_key(gateway_id)],
                args=[gateway_id, "1" if only_if_dead else "0", SOCKETS_PREFIX,
                      PRESENCE_PREFIX])
        if not isinstance(users, list):
            return None
        return [UserId(int(_text(u))) for u in users]

    async def ping(self) -> None:
        with _unavailable_on_error("ping"):
            await self._redis.ping()
