"""What the game service looks up before it applies a command: the facts the pure
rules take as input (:class:`~blazing.rooms.context.Context`), from the state store and
the password hasher. A store write re-checks every claim these facts stand for, so a
stale fact costs a retry, never a wrong state."""

import asyncio
import dataclasses
import hashlib
import secrets
from base64 import urlsafe_b64encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from blazing import passwords
from blazing.games.base import Rng
from blazing.ids import RoomId, UserId
from blazing.protocol import client as cmd
from blazing.protocol.envelope import Actor, ServiceCommand
from blazing.rooms import rematch
from blazing.rooms.context import Context, RuleSettings
from blazing.rooms.model import Room
from blazing.state.base import RoomStore, name_claim, quick_claim

INVITE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud, typed
INVITE_LENGTH = 10  # 32**10 = 2**50 codes
PASSWORD_ATTEMPTS = 5  # per user and room in PASSWORD_WINDOW; then refused, even if right
PASSWORD_WINDOW = 60.0
INVITE_LOOKUPS = 30  # invite codes a user may try per INVITE_WINDOW
INVITE_WINDOW = 60.0


def room_id_for(command_id: str) -> RoomId:
    """A new room's id, derived from the (random, private) command id so that a
    redelivered ``create_room`` finds the room it already created."""
    digest = hashlib.sha256(f"room:{command_id}".encode()).digest()
    return RoomId("room_" + urlsafe_b64encode(digest[:12]).decode())


def new_invite_code() -> str:
    """A short code from the operating system's CSPRNG."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


@dataclass(frozen=True, slots=True)
class Facts:
    store: RoomStore
    rng: Rng
    rules: RuleSettings
    clock: Callable[[], datetime]

    async def context(self, command_id: str, command: ServiceCommand, actor: Actor,
                      room: Room | None, *, quick: bool = False) -> Context:
        """The context for applying ``command`` by ``actor`` to ``room`` (as loaded)."""
        facts: dict[str, Any] = {}
        store, me = self.store, actor.user_id
        if isinstance(command, cmd.CreateRoom):
            claim = quick_claim(command.game_type, command.max_players or 0) if quick \
                else name_claim(command.room_name)
            facts.update(new_room_id=room_id_for(command_id),
                         actor_room=await store.player_room(me),
                         name_owner=await store.owner(claim) if quick or
                         command.visibility == "public" else None,
                         new_invite_code=new_invite_code(), quick_play=quick)
            if command.password is not None:
                facts["password_hash"] = await asyncio.to_thread(passwords.hash_password,
                                                                 command.password)
        elif isinstance(command, cmd.JoinRoom | cmd.Spectate):
            if isinstance(command, cmd.JoinRoom):
                facts["actor_room"] = await store.player_room(me)
            if room is not None:
                facts.update(await self._password(room, me, command.password))
        elif isinstance(command, cmd.RenewInvite):
            facts["new_invite_code"] = new_invite_code()
        elif isinstance(command, cmd.Rematch) and room is not None:
            facts["actor_room"] = await store.player_room(me)
            asked = {*room.rematch, me}
            if rematch.available(room) and asked >= set(room.player_ids()):
                facts.update(await self.rematch_facts(room))
        base = Context(now=self.clock(), rng=self.rng, settings=self.rules,
                       command_id=command_id)
        return dataclasses.replace(base, **facts) if facts else base  # a move has none

    async def _password(self, room: Room, user: UserId,
                        password: str | None) -> dict[str, Any]:
        """Check a newcomer's password against a protected room, within the attempt
        limit (counted before checking, so a guesser pays for every try)."""
        stored = room.password_hash
        member = room.player(user) is not None or room.spectator(user) is not None
        if stored is None or password is None or member:
            return {}
        tries = await self.store.count_attempt(f"password:{room.room_id}:{user}",
                                               PASSWORD_WINDOW)
        if tries > PASSWORD_ATTEMPTS:
            return {"too_many_attempts": True}
        matches = await asyncio.to_thread(passwords.password_matches, password, stored)
        return {"password_ok": matches}

    async def invite_lookups_left(self, user: UserId) -> bool:
        """Whether ``user`` may try one more invite code (guessing codes is throttled)."""
        return await self.store.count_attempt(f"invite:{user}", INVITE_WINDOW) \
            <= INVITE_LOOKUPS

    async def rematch_facts(self, room: Room) -> dict[str, Any]:
        """What decides whether an agreed rematch can start: players who sit at another
        table now, and whoever took the room's name since the game ended."""
        busy = set()
        for user in room.player_ids():
            elsewhere = await self.store.player_room(user)
            if elsewhere is not None and elsewhere != room.room_id:
                busy.add(user)
        owner = await self.store.owner(name_claim(room.room_name)) if room.listed else None
        return {"busy_players": frozenset(busy), "name_owner": owner}
