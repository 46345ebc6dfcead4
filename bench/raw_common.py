"""The shared core of the raw baselines (no blazing import; standard library only).

A minimal echo + fan-out server that speaks just enough of the Bigger Dice
protocol's *shape* for the harness's scenario drivers to run unchanged: the
same frame types, field names and sizes, to the same audiences. It does the
least a server could: the token is decoded but not verified, rooms live in
dicts, there is no bus, no store, no envelope, no rate limit, no validation
beyond what the drivers need, no timers. So a figure measured against it is
the ceiling of the transport (aiohttp or picows) plus JSON, on this machine,
with this load generator.

Sans-I/O: ``Core`` takes frames and returns ``[(connections, frame bytes)]``.
"""

import argparse
import asyncio
import base64
import json
import random
import secrets
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Conn = Hashable
Out = list[tuple[list[Conn], bytes]]
TURN_SECONDS = 30
GRACE_SECONDS = 60
WIN_SCORE = 10
KEEP_ENDED_ROOMS = 20_000


def _stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _later(seconds: float) -> str:
    return _stamp(datetime.now(UTC) + timedelta(seconds=seconds))


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass
class Player:
    user_id: int
    username: str
    joined_at: str
    score: int = 0
    is_ready: bool = False
    disconnected_until: str | None = None

    def view(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "username": self.username, "avatar_id": None,
                "score": self.score, "is_ready": self.is_ready, "joined_at": self.joined_at,
                "disconnected_until": self.disconnected_until}


@dataclass
class Room:
    room_id: str
    name: str
    host_id: int
    created_at: str
    players: list[Player] = field(default_factory=list)
    spectators: dict[int, str] = field(default_factory=dict)
    status: str = "waiting"
    seq: int = 0
    order: list[int] = field(default_factory=list)
    current_turn: int | None = None
    turn_number: int = 0
    turn_deadline: str | None = None
    pending: tuple[int, int] | None = None  # the opener's roll this round
    rounds: list[dict[str, Any]] = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    winner_id: int | None = None
    end_reason: str | None = None

    def player(self, user_id: int) -> Player | None:
        for p in self.players:
            if p.user_id == user_id:
                return p
        return None

    def members(self) -> list[int]:
        return [p.user_id for p in self.players] + list(self.spectators)

    def view(self) -> dict[str, Any]:
        return {
            "room_id": self.room_id, "room_name": self.name, "game_type": "bigger_dice",
            "status": self.status, "host_id": self.host_id,
            "players": [p.view() for p in self.players],
            "spectators": list(self.spectators), "current_turn": self.current_turn,
            "turn_number": self.turn_number, "created_at": self.created_at,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "winner_id": self.winner_id, "seq": self.seq, "max_players": 2,
            "turn_deadline": self.turn_deadline,
            "spectator_users": [{"user_id": u, "username": n}
                                for u, n in self.spectators.items()],
            "end_reason": self.end_reason,
            "game_state": None if not self.order else {
                "type": "bigger_dice", "order": self.order,
                "pending": [list(self.pending)] if self.pending else [],
                "rounds": self.rounds},
        }


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def identity_from_token(token: str | None) -> tuple[int, str] | None:
    """(user id, username) from a JWT's claims, NOT verified (a baseline only)."""
    if not token or token.count(".") != 2:
        return None
    try:
        body = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return int(claims["sub"]), str(claims["username"])
    except (ValueError, KeyError, TypeError):
        return None


class Core:
    def __init__(self) -> None:
        self.users: dict[int, list[Conn]] = {}
        self.who: dict[Conn, tuple[int, str, str]] = {}  # conn -> (user, name, socket id)
        self.rooms: OrderedDict[str, Room] = OrderedDict()
        self.names: dict[str, str] = {}  # lowercased active name -> room id
        self.user_room: dict[int, str] = {}  # active room of a player

    # --- connections -----------------------------------------------------------------

    def open(self, conn: Conn, token: str | None) -> Out | None:
        """``None``: refuse (close 4401)."""
        identity = identity_from_token(token)
        if identity is None:
            return None
        user_id, username = identity
        socket_id = "sock_" + secrets.token_urlsafe(9)
        self.who[conn] = (user_id, username, socket_id)
        self.users.setdefault(user_id, []).append(conn)
        return [([conn], dumps({"type": "authenticated", "user_id": user_id,
                                "username": username, "avatar_id": None,
                                "socket_id": socket_id}))]

    def close(self, conn: Conn) -> Out:
        entry = self.who.pop(conn, None)
        if entry is None:
            return []
        user_id, username, _ = entry
        sockets = self.users.get(user_id, [])
        if conn in sockets:
            sockets.remove(conn)
        if sockets:
            return []
        self.users.pop(user_id, None)
        room = self.rooms.get(self.user_room.get(user_id, ""))
        player = room.player(user_id) if room else None
        if room is None or player is None or room.status != "in_progress":
            return []
        player.disconnected_until = _later(GRACE_SECONDS)
        return self._to_room(room, {"type": "player_disconnected", "user_id": user_id,
                                    "username": username, "grace_seconds": GRACE_SECONDS,
                                    "deadline": player.disconnected_until})

    # --- frames ----------------------------------------------------------------------

    def message(self, conn: Conn, data: bytes | str) -> Out:
        user_id, username, socket_id = self.who[conn]
        try:
            frame = json.loads(data)
            kind = frame.get("type")
            if kind == "ping":
                return [([conn], dumps({"type": "pong", "server_time": _stamp()}))]
            handler = getattr(self, "_" + str(kind).replace(".", "_"), None)
            if handler is None:
                raise Refused("UNKNOWN_TYPE", f"unknown message type {kind!r}")
            out: Out = handler(conn, user_id, username, frame)
            return out
        except Refused as exc:
            return [([conn], dumps({"type": "error", "code": exc.code, "message": exc.message,
                                    "socket_id": socket_id, "request_id": None}))]
        except (ValueError, AttributeError, TypeError, KeyError):
            return [([conn], dumps({"type": "error", "code": "INVALID_MESSAGE",
                                    "message": "invalid message", "socket_id": socket_id,
                                    "request_id": None}))]

    def _room(self, frame: dict[str, Any]) -> Room:
        room = self.rooms.get(str(frame.get("room_id")))
        if room is None:
            raise Refused("ROOM_NOT_FOUND", "no such room")
        return room

    def _to_room(self, room: Room, event: dict[str, Any]) -> Out:
        room.seq += 1
        data = dumps({"type": event.pop("type"), "room_id": room.room_id, "seq": room.seq,
                      **event})
        return [([c for u in room.members() for c in self.users.get(u, ())], data)]

    def _state_to(self, room: Room, user_id: int) -> Out:
        data = dumps({"type": "room_state", "room_id": room.room_id, "seq": room.seq,
                      "room": room.view()})
        return [(list(self.users.get(user_id, ())), data)]

    def _create_room(self, conn: Conn, user_id: int, username: str,
                     frame: dict[str, Any]) -> Out:
        name = str(frame["room_name"]).strip()
        if name.lower() in self.names:
            raise Refused("ROOM_NAME_TAKEN", "room name taken")
        if user_id in self.user_room:
            raise Refused("ALREADY_IN_ROOM", "already in a room")
        now = _stamp()
        room = Room("room_" + secrets.token_urlsafe(12), name, user_id, now,
                    players=[Player(user_id, username, now)])
        self.rooms[room.room_id] = room
        self.names[name.lower()] = room.room_id
        self.user_room[user_id] = room.room_id
        room.seq = 1
        created = dumps({"type": "room_created", "room_id": room.room_id, "seq": 1,
                         "room_name": name, "game_type": "bigger_dice", "host_id": user_id,
                         "host_username": username})
        return [([conn], created), *self._state_to(room, user_id)]

    def _join_room(self, conn: Conn, user_id: int, username: str,
                   frame: dict[str, Any]) -> Out:
        room_id = frame.get("room_id") or self.names.get(str(frame.get("room_name")).lower())
        room = self.rooms.get(str(room_id))
        if room is None:
            raise Refused("ROOM_NOT_FOUND", "no such room")
        if room.status != "waiting":
            raise Refused("GAME_ALREADY_STARTED", "the game has started")
        if len(room.players) >= 2:
            raise Refused("ROOM_FULL", "the room is full")
        if user_id in self.user_room:
            raise Refused("ALREADY_IN_ROOM", "already in a room")
        player = Player(user_id, username, _stamp())
        room.players.append(player)
        self.user_room[user_id] = room.room_id
        out = self._to_room(room, {"type": "room_joined", "room_name": room.name,
                                   "player": player.view()})
        return out + self._state_to(room, user_id)

    def _ready(self, conn: Conn, user_id: int, username: str, frame: dict[str, Any]) -> Out:
        room = self._room(frame)
        player = room.player(user_id)
        if player is None or room.status != "waiting":
            raise Refused("NOT_IN_ROOM", "not a player of a waiting room")
        player.is_ready = True
        out = self._to_room(room, {"type": "player_ready", "user_id": user_id,
                                   "username": username})
        if len(room.players) == 2 and all(p.is_ready for p in room.players):
            room.status, room.started_at = "in_progress", _stamp()
            room.order = [p.user_id for p in room.players]
            random.shuffle(room.order)
            out += self._to_room(room, {"type": "game_started",
                                        "players": [p.view() for p in room.players],
                                        "first_turn": room.order[0]})
            out += self._turn(room, room.order[0])
        return out

    def _turn(self, room: Room, user_id: int) -> Out:
        room.current_turn = user_id
        room.turn_number += 1
        room.turn_deadline = _later(TURN_SECONDS)
        return self._to_room(room, {"type": "turn_changed", "current_turn": user_id,
                                    "turn_number": room.turn_number,
                                    "turn_deadline": room.turn_deadline})

    def _bigger_dice_roll(self, conn: Conn, user_id: int, username: str,
                          frame: dict[str, Any]) -> Out:
        room = self._room(frame)
        player = room.player(user_id)
        if player is None:
            raise Refused("NOT_A_PLAYER", "not a player")
        if room.status != "in_progress":
            raise Refused("GAME_NOT_IN_PROGRESS", "the game is not in progress")
        if room.current_turn != user_id:
            raise Refused("NOT_YOUR_TURN", "not your turn")
        roll = random.randint(1, 6)
        if room.pending is None:
            room.pending = (user_id, roll)
            out = self._to_room(room, self._rolled(player, roll))
            return out + self._turn(room, room.order[1])
        opener_id, opener_roll = room.pending
        room.pending = None
        opener = room.player(opener_id)
        assert opener is not None
        winner = opener if opener_roll > roll else player if roll > opener_roll else None
        if winner is not None:
            winner.score += 1
        result = {"round": len(room.rounds) + 1, "rolls": [[opener_id, opener_roll],
                                                          [user_id, roll]],
                  "winner_id": winner.user_id if winner else None, "is_tie": winner is None}
        room.rounds.append(result)
        out = self._to_room(room, self._rolled(player, roll))
        out += self._to_room(room, {"type": "bigger_dice.round_result",
                                    "round": result["round"], "player1_id": opener_id,
                                    "player1_roll": opener_roll, "player2_id": user_id,
                                    "player2_roll": roll, "winner_id": result["winner_id"],
                                    "is_tie": result["is_tie"]})
        if winner is not None and winner.score >= WIN_SCORE:
            return out + self._end(room, winner, "won")
        return out + self._turn(room, room.order[0])

    @staticmethod
    def _rolled(player: Player, roll: int) -> dict[str, Any]:
        return {"type": "bigger_dice.rolled", "player_id": player.user_id,
                "player_username": player.username, "roll": roll,
                "new_score": player.score, "auto": False}

    def _end(self, room: Room, winner: Player | None, reason: str) -> Out:
        room.status, room.finished_at = "finished", _stamp()
        room.current_turn = room.turn_deadline = None
        room.winner_id, room.end_reason = (winner.user_id if winner else None), reason
        self.names.pop(room.name.lower(), None)
        for p in room.players:
            self.user_room.pop(p.user_id, None)
        while len(self.rooms) > KEEP_ENDED_ROOMS:
            self.rooms.popitem(last=False)
        return self._to_room(room, {
            "type": "game_ended", "winner_id": room.winner_id,
            "winner_username": winner.username if winner else None,
            "final_scores": [[p.user_id, p.username, p.score] for p in room.players],
            "reason": reason})

    def _leave_room(self, conn: Conn, user_id: int, username: str,
                    frame: dict[str, Any]) -> Out:
        room = self._room(frame)
        player = room.player(user_id)
        if player is None or room.status not in ("waiting", "in_progress"):
            raise Refused("NOT_IN_ROOM", "not a player of an active room")
        out = self._to_room(room, {"type": "player_left", "user_id": user_id,
                                   "username": username})
        if room.status == "in_progress":
            other = next(p for p in room.players if p.user_id != user_id)
            return out + self._end(room, other, "forfeit")
        room.players.remove(player)
        self.user_room.pop(user_id, None)
        if not room.players:
            self.names.pop(room.name.lower(), None)
            room.status = "abandoned"
        return out

    def _rejoin_room(self, conn: Conn, user_id: int, username: str,
                     frame: dict[str, Any]) -> Out:
        room = self._room(frame)
        player = room.player(user_id)
        if player is None and user_id not in room.spectators:
            raise Refused("NOT_IN_ROOM", "not in this room")
        out: Out = []
        if player is not None and player.disconnected_until is not None:
            player.disconnected_until = None
            out = self._to_room(room, {"type": "player_rejoined", "user_id": user_id,
                                       "username": username})
        return out + self._state_to(room, user_id)

    def _spectate(self, conn: Conn, user_id: int, username: str, frame: dict[str, Any]) -> Out:
        room = self._room(frame)
        if room.status not in ("waiting", "in_progress"):
            raise Refused("GAME_NOT_IN_PROGRESS", "the game has ended")
        if room.player(user_id) is not None:
            raise Refused("ALREADY_IN_ROOM", "players cannot spectate")
        room.spectators[user_id] = username
        out = self._to_room(room, {"type": "spectator_joined", "user_id": user_id,
                                   "username": username})
        return out + self._state_to(room, user_id)

    def _leave_spectate(self, conn: Conn, user_id: int, username: str,
                        frame: dict[str, Any]) -> Out:
        room = self._room(frame)
        if room.spectators.pop(user_id, None) is None:
            raise Refused("NOT_IN_ROOM", "not spectating")
        out = self._to_room(room, {"type": "spectator_left", "user_id": user_id,
                                   "username": username})
        return [*out, ([conn], out[0][1])]


def run_server(description: str, default_port: int,
               main: Callable[[str, int], Coroutine[Any, Any, None]]) -> None:
    """The command line both raw servers share: --host/--port, uvloop when present."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(args.host, args.port))
    else:
        uvloop.run(main(args.host, args.port))
