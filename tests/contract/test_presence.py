"""Contract of the PresenceStore port, for every adapter."""

import asyncio
import time
import uuid
from typing import Any

from blazing.ids import GatewayId, SocketId, UserId

GW = GatewayId("gw-contract")


def user() -> UserId:
    return UserId(uuid.uuid4().int % 10**12 + 1)


async def test_a_user_is_online_while_a_socket_is_open(presence: Any) -> None:
    me = user()
    assert not await presence.is_online(me)
    await presence.socket_opened(me, SocketId("a"), GW)
    assert await presence.is_online(me)


async def test_only_the_last_socket_closing_reports_last(presence: Any) -> None:
    me = user()
    await presence.socket_opened(me, SocketId("a"), GW)
    await presence.socket_opened(me, SocketId("b"), GW)
    assert await presence.socket_closed(me, SocketId("a"), GW) is False
    assert await presence.is_online(me)
    assert await presence.socket_closed(me, SocketId("b"), GW) is True
    assert not await presence.is_online(me)


async def test_closing_an_unknown_socket_is_harmless(presence: Any) -> None:
    assert await presence.socket_closed(user(), SocketId("nope"), GW) is False


async def test_refresh_keeps_a_user_online_and_others_stay_offline(presence: Any) -> None:
    on, off = user(), user()
    await presence.socket_opened(on, SocketId("a"), GW)
    await presence.refresh(on)
    assert await presence.is_online(on)
    assert not await presence.is_online(off)


async def test_a_user_who_comes_back_after_the_last_socket_closed_is_online(
        presence: Any) -> None:
    me = user()
    await presence.socket_opened(me, SocketId("a"), GW)
    assert await presence.socket_closed(me, SocketId("a"), GW) is True
    assert await presence.socket_closed(me, SocketId("a"), GW) is False  # already gone
    await presence.socket_opened(me, SocketId("b"), GW)
    assert await presence.is_online(me)



def gateway() -> GatewayId:
    return GatewayId(f"gw-{uuid.uuid4().hex[:8]}")


async def until_dead(presence: Any, gateway_id: GatewayId, within: float = 5.0) -> None:
    """Poll, with a deadline, until ``gateway_id`` is listed as dead."""
    deadline = time.monotonic() + within
    while gateway_id not in await presence.dead_gateways():
        assert time.monotonic() < deadline, f"{gateway_id} never counted as dead"
        await asyncio.sleep(0.02)  # polling with a deadline


async def test_a_gateway_is_dead_once_its_heartbeat_runs_out(presence: Any) -> None:
    beating, silent = gateway(), gateway()
    assert await presence.gateway_alive(beating, 60) is False  # first call
    assert await presence.gateway_alive(beating, 60) is True
    await presence.gateway_alive(silent, 0.2)
    await until_dead(presence, silent)
    dead = await presence.dead_gateways()
    assert beating not in dead
    await presence.release_gateway(beating, only_if_dead=False)


async def test_releasing_a_dead_gateway_drops_only_users_left_without_sockets(
        presence: Any) -> None:
    dead, alive = gateway(), gateway()
    only_there, also_elsewhere = user(), user()
    await presence.gateway_alive(dead, 0.2)
    await presence.gateway_alive(alive, 60)
    await presence.socket_opened(only_there, SocketId("s1"), dead)
    await presence.socket_opened(only_there, SocketId("s2"), dead)  # two tabs: one drop
    await presence.socket_opened(also_elsewhere, SocketId("s3"), dead)
    await presence.socket_opened(also_elsewhere, SocketId("s4"), alive)
    await until_dead(presence, dead)

    assert await presence.release_gateway(dead) == [only_there]
    assert not await presence.is_online(only_there)
    assert await presence.is_online(also_elsewhere)
    assert dead not in await presence.dead_gateways()
    assert await presence.release_gateway(dead) is None  # one caller releases it
    # The survivor's socket on the live gateway is still the last one to close.
    assert await presence.socket_closed(also_elsewhere, SocketId("s4"), alive) is True
    await presence.release_gateway(alive, only_if_dead=False)


async def test_a_live_gateway_is_not_released_unless_forced(presence: Any) -> None:
    alive, me = gateway(), user()
    await presence.gateway_alive(alive, 60)
    await presence.socket_opened(me, SocketId("a"), alive)
    assert await presence.release_gateway(alive) is None
    assert await presence.is_online(me)
    assert await presence.release_gateway(alive, only_if_dead=False) == [me]
    assert not await presence.is_online(me)


async def test_a_gateway_released_as_dead_learns_it_at_its_next_heartbeat(
        presence: Any) -> None:
    slow, me = gateway(), user()
    await presence.gateway_alive(slow, 0.2)
    await presence.socket_opened(me, SocketId("a"), slow)
    await until_dead(presence, slow)
    assert await presence.release_gateway(slow) == [me]
    assert await presence.gateway_alive(slow, 60) is False  # its sockets count as gone
    assert await presence.gateway_alive(slow, 60) is True
    await presence.release_gateway(slow, only_if_dead=False)


async def test_closed_sockets_are_not_released_again(presence: Any) -> None:
    gone, me = gateway(), user()
    await presence.gateway_alive(gone, 0.2)
    await presence.socket_opened(me, SocketId("a"), gone)
    assert await presence.socket_closed(me, SocketId("a"), gone) is True
    await until_dead(presence, gone)
    assert await presence.release_gateway(gone) == []  # registered, but nothing open


async def test_nothing_to_release_for_an_unknown_gateway(presence: Any) -> None:
    assert await presence.release_gateway(gateway()) is None
    assert await presence.release_gateway(gateway(), only_if_dead=False) is None
