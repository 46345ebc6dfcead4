"""One game at the chaos table (two players on different gateways and a spectator),
and what must hold of it, judged only from what its clients received."""

import asyncio
import itertools
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.chaos.seats import Seat


def room_events(seat: Seat, room_id: str) -> list[tuple[float, int, dict[str, Any]]]:
    """(arrival, socket, event) of every room event of ``room_id`` the seat received,
    in arrival order (``room_state`` is a snapshot sent to one user, not one of them)."""
    return [(f.at, f.socket, f.data) for f in seat.frames
            if f.data.get("room_id") == room_id and "seq" in f.data
            and f.data.get("type") != "room_state"]


@dataclass
class Game:
    host: Seat
    guest: Seat
    spectator: Seat
    room_id: str = ""

    @property
    def seats(self) -> tuple[Seat, Seat, Seat]:
        return self.host, self.guest, self.spectator

    @property
    def players(self) -> tuple[Seat, Seat]:
        return self.host, self.guest

    async def set_up(self, name: str) -> None:
        """A room with both players ready and the spectator watching."""
        for seat in self.seats:
            await seat.open()
        await self.host.send("create_room", game_type="bigger_dice", room_name=name)
        self.room_id = str((await self.host.expect("room_created", room_name=name))["room_id"])
        for seat in self.seats:
            seat.room_id = self.room_id
        await self.guest.send("join_room", room_id=self.room_id)
        await self.guest.expect("room_state", room_id=self.room_id)
        await self.spectator.send("spectate", room_id=self.room_id)
        await self.spectator.expect("room_state", room_id=self.room_id)
        for seat in self.players:
            await seat.send("ready", room_id=self.room_id)
        await self.host.expect("game_started", room_id=self.room_id)
        for seat in self.seats:
            seat.start_playing()

    async def close(self) -> None:
        await asyncio.gather(*(seat.close() for seat in self.seats))

    # --- what the clients saw ---------------------------------------------------------

    def timeline(self) -> dict[int, tuple[float, dict[str, Any]]]:
        """Every seq any client of the room received: when it first arrived, and what."""
        seen: dict[int, tuple[float, dict[str, Any]]] = {}
        for seat in self.seats:
            for at, _, event in room_events(seat, self.room_id):
                if event["seq"] not in seen or at < seen[event["seq"]][0]:
                    seen[event["seq"]] = (at, event)
        return seen

    def events(self) -> list[dict[str, Any]]:
        timeline = self.timeline()
        return [timeline[seq][1] for seq in sorted(timeline)]

    @property
    def ended(self) -> dict[str, Any] | None:
        return next((e for e in self.events() if e["type"] == "game_ended"), None)

    def rolls(self) -> int:
        return sum(1 for e in self.events() if e["type"] == "bigger_dice.rolled")

    def pause(self, since: float) -> float:
        """The longest wait between two consecutive room events, among those that
        ended after ``since`` (seconds; a player's thinking time included)."""
        timeline = self.timeline()
        times = [timeline[seq][0] for seq in sorted(timeline)]
        gaps = [b - a for a, b in itertools.pairwise(times) if b >= since]
        return max(gaps, default=0.0)

    def pause_between(self, start: float, end: float) -> float:
        """The longest wait between two consecutive room events within [start, end]
        (including the wait from the last event before ``start``)."""
        timeline = self.timeline()
        times = [timeline[seq][0] for seq in sorted(timeline)]
        gaps = [min(b, end) - a for a, b in itertools.pairwise(times) if b >= start and a <= end]
        return max(gaps, default=0.0)

    def moved_after(self, moment: float) -> float | None:
        """Seconds from ``moment`` to the room's next event; None if none came."""
        later = [at for at, _ in self.timeline().values() if at >= moment]
        return min(later) - moment if later else None

    # --- what must hold ---------------------------------------------------------------

    def problems(self) -> list[str]:
        """Every broken invariant, as judged from the clients' own logs."""
        found: list[str] = []
        where = f"{self.room_id} ({self.host.name} v {self.guest.name})"
        events = self.events()
        seqs = [e["seq"] for e in events]
        ended = self.ended
        if ended is None:
            return [f"{where}: did not end (last seq {max(seqs, default=0)})"]
        if seqs != list(range(1, len(seqs) + 1)):
            missing = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
            found.append(f"{where}: no client received seqs {missing}")
        found += self._same_event_for_each_seq(where)
        found += self._no_gap_on_an_open_socket(where)
        found += self._scores_are_rounds_won(where, events, ended)
        found += self._each_move_once(where, events)
        return found

    def _same_event_for_each_seq(self, where: str) -> list[str]:
        first: dict[int, dict[str, Any]] = {}
        found = []
        for seat in self.seats:
            for _, _, event in room_events(seat, self.room_id):
                if first.setdefault(event["seq"], event) != event:
                    found.append(f"{where}: seq {event['seq']} differs: "
                                 f"{first[event['seq']]} vs {event} ({seat.name})")
        return found

    def _no_gap_on_an_open_socket(self, where: str) -> list[str]:
        """On each socket, every room event follows the one before (repeats are
        allowed: clients drop them by seq)."""
        found = []
        for seat in self.seats:
            last: dict[int, int] = {}
            for _, socket, event in room_events(seat, self.room_id):
                seq, before = event["seq"], last.get(socket)
                if before is not None and seq > before + 1:
                    found.append(f"{where}: {seat.name} socket {socket} jumped from seq "
                                 f"{before} to {seq}")
                last[socket] = max(seq, before or 0)
        return found

    def _scores_are_rounds_won(self, where: str, events: list[dict[str, Any]],
                               ended: dict[str, Any]) -> list[str]:
        wins: Counter[int] = Counter(e["winner_id"] for e in events
                                     if e["type"] == "bigger_dice.round_result"
                                     and e["winner_id"] is not None)
        scores = {int(user): score for user, _, score in ended["final_scores"]}
        if scores != {user: wins.get(user, 0) for user in scores}:
            return [f"{where}: final scores {scores} but rounds won {dict(wins)}"]
        return []

    def _each_move_once(self, where: str, events: list[dict[str, Any]]) -> list[str]:
        """Turns alternate and every turn is one roll; a player's own rolls (not the
        server's on a missed deadline) never outnumber the roll commands it sent."""
        found = []
        rolled = [e for e in events if e["type"] == "bigger_dice.rolled"]
        started = next(e for e in events if e["type"] == "game_started")
        order = [int(started["first_turn"])]
        order.append(next(int(p["user_id"]) for p in started["players"]
                          if int(p["user_id"]) != order[0]))
        by = [int(e["player_id"]) for e in rolled]
        if by != [order[n % 2] for n in range(len(by))]:
            found.append(f"{where}: rolls out of turn: {by}")
        numbers = [e["turn_number"] for e in events if e["type"] == "turn_changed"]
        if numbers != list(range(1, len(numbers) + 1)):
            found.append(f"{where}: turn numbers {numbers}")
        for seat in self.players:
            own = sum(1 for e in rolled if int(e["player_id"]) == seat.user_id
                      and not e.get("auto"))
            if own > len(seat.sent_rolls):
                found.append(f"{where}: {own} rolls applied for {seat.name}, who sent "
                             f"{len(seat.sent_rolls)}")
        return found

    async def history_problems(self, http: aiohttp.ClientSession, base_url: str,
                               within: float) -> list[str]:
        """The recorded game equals what the players saw (polled until it is there)."""
        where = f"{self.room_id} history"
        ended = self.ended
        if ended is None:
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            try:
                async with http.get(f"{base_url}/api/games/history/{self.room_id}") as got:
                    if got.status == 200:
                        record = await got.json()
                        break
            except aiohttp.ClientError:
                pass  # that gateway is restarting: ask again
            if loop.time() > deadline:
                return [f"{where}: not recorded within {within:.0f} s"]
            await asyncio.sleep(0.5)  # polling, with the deadline above
        found = []
        results = [e for e in self.events() if e["type"] == "bigger_dice.round_result"]
        recorded = record["rounds"]
        seen_rounds = [(r["winner_id"], sorted([(r["player1_id"], r["player1_roll"]),
                                                (r["player2_id"], r["player2_roll"])]))
                       for r in results]
        kept_rounds = [(r["winner_id"], sorted((x["user_id"], x["roll"]) for x in r["rolls"]))
                       for r in recorded]
        if seen_rounds != kept_rounds:
            found.append(f"{where}: rounds differ from what the players saw")
        scores = {int(u): s for u, _, s in ended["final_scores"]}
        kept = {int(p["user_id"]): p["final_score"] for p in record["players"]}
        if (record["winner_id"], kept) != (ended["winner_id"], scores):
            found.append(f"{where}: winner/scores {record['winner_id']} {kept} but the "
                         f"players saw {ended['winner_id']} {scores}")
        return found


def percentile_50(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
