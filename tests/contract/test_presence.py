"""Contract of the PresenceStore port, for every adapter."""

import uuid
from typing import Any

from blazing.ids import SocketId, UserId


def user() -> UserId:
    return UserId(uuid.uuid4().int % 10**12 + 1)


async def test_a_user_is_online_while_a_socket_is_open(presence: Any) -> None:
    me = user()
    assert not await presence.is_online(me)
    await presence.socket_opened(me, SocketId("a"))
    assert await presence.is_online(me)


async def test_only_the_last_socket_closing_reports_last(presence: Any) -> None:
    me = user()
    await presence.socket_opened(me, SocketId("a"))
    await presence.socket_opened(me, SocketId("b"))
    assert await presence.socket_closed(me, SocketId("a")) is False
    assert await presence.is_online(me)
    assert await presence.socket_closed(me, SocketId("b")) is True
    assert not await presence.is_online(me)


async def test_closing_an_unknown_socket_is_harmless(presence: Any) -> None:
    assert await presence.socket_closed(user(), SocketId("nope")) is False


async def test_refresh_keeps_a_user_online_and_others_stay_offline(presence: Any) -> None:
    on, off = user(), user()
    await presence.socket_opened(on, SocketId("a"))
    await presence.refresh(on)
    assert await presence.is_online(on)
    assert not await presence.is_online(off)


async def test_a_user_who_comes_back_after_the_last_socket_closed_is_online(
        presence: Any) -> None:
    me = user()
    await presence.socket_opened(me, SocketId("a"))
    assert await presence.socket_closed(me, SocketId("a")) is True
    assert await presence.socket_closed(me, SocketId("a")) is False  # already gone
    await presence.socket_opened(me, SocketId("b"))
    assert await presence.is_online(me)

