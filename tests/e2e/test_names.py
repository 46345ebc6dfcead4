"""One rule for every name people see (room names, usernames) and for chat, over
real sockets: NFKC, nothing unprintable, something visible, and look-alikes that
differ only by invisible characters, compatibility forms or case count as taken."""

import pytest

from blazing.wiring import Running
from tests.conftest import ClientFactory
from tests.support.raw import RawSocket
from tests.support.tokens import claims, signed

NOT_NAMES = {
    "zero-width-only": "\u200b\u200c\u200d",
    "word-joiners-only": "\u2060\ufeff",
    "hangul-fillers-only": "\u3164\u115f",
    "right-to-left-override": "abc\u202egnp.exe",
    "left-to-right-embedding": "\u202aname",
    "isolate": "\u2066name\u2069",
    "right-to-left-mark": "name\u200f",
    "control": "a\x07b",
    "line-separator": "a\u2028b",
    "private-use": "a\ue000b",
    "unassigned": "a\U000e0080b",
    "blank": "   ",
    "too-long-after-nfkc": "\ufdfa" * 4,  # each expands to 18 characters
}


@pytest.mark.parametrize("name", list(NOT_NAMES.values()), ids=list(NOT_NAMES))
async def test_a_room_name_that_is_not_printable_is_refused(
        server: Running, connect: ClientFactory, name: str) -> None:
    alice = await connect(server, 1, "alice")
    await alice.send("create_room", game_type="bigger_dice", room_name=name, request_id="n")
    error = await alice.expect_error("INVALID_MESSAGE")
    assert "room_name" in error["message"] and error["request_id"] == "n"
    await alice.send("join_room", room_name=name)
    assert "room_name" in (await alice.expect_error("INVALID_MESSAGE"))["message"]


@pytest.mark.parametrize("look_alike", [
    "table one", "TABLE ONE", "Table\u200b One", "Ta\u00adble One", "Table  One",
    "\uff34\uff41\uff42\uff4c\uff45 \uff2f\uff4e\uff45",  # full-width
    "Table One\ufe0f", "\u2060Table One",
])
async def test_a_look_alike_of_an_open_room_name_is_taken_and_finds_the_room(
        server: Running, connect: ClientFactory, look_alike: str) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    await alice.send("create_room", game_type="bigger_dice", room_name="Table One")
    room_id = (await alice.expect("room_created"))["room_id"]
    await bob.send("create_room", game_type="bigger_dice", room_name=look_alike)
    await bob.expect_error("ROOM_NAME_TAKEN")
    await bob.send("join_room", room_name=look_alike)
    state = await bob.expect("room_state", room_id=room_id)
    assert state["room"]["room_name"] == "Table One"


async def test_a_room_name_is_stored_normalised(server: Running,
                                                connect: ClientFactory) -> None:
    alice = await connect(server, 1, "alice")
    await alice.send("create_room", game_type="bigger_dice",
                     room_name="  \uff26\uff52\uff49\uff44\uff41\uff59   night  ")
    created = await alice.expect("room_created")
    assert created["room_name"] == "Friday night"


async def test_emoji_sequences_and_scripts_with_joiners_are_names(
        server: Running, connect: ClientFactory) -> None:
    alice = await connect(server, 1, "alice")
    for name in ("🧑\u200d🤝\u200d🧑 club", "می\u200cخواهم", "🎲🎲"):
        await alice.send("create_room", game_type="bigger_dice", room_name=name)
        created = await alice.expect_one_of(("room_created", "error"))
        assert created["type"] == "room_created", created
        await alice.send("leave_room", room_id=created["room_id"])
        await alice.expect("player_left")


@pytest.mark.parametrize("text", ["hi \u202eevil", "\u200b", "\u2066x\u2069", "a\x1bb",
                                  "a\u2029b"])
async def test_chat_refuses_bidi_controls_and_invisible_only_text(
        server: Running, connect: ClientFactory, text: str) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    await alice.send("create_room", game_type="bigger_dice", room_name="Chatty")
    room_id = (await alice.expect("room_created"))["room_id"]
    await alice.send("chat_send", room_id=room_id, text=text)
    assert "text" in (await alice.expect_error("INVALID_MESSAGE"))["message"]
    await alice.send("chat_send", room_id=room_id, text="line one\nline two\tend")
    assert (await alice.expect("chat_message"))["text"] == "line one\nline two\tend"
    assert bob is not None


@pytest.mark.parametrize("username", ["\u200b", "evil\u202e", "\u2066x", "a\x00b", " "])
async def test_a_token_username_that_is_not_a_name_is_refused_with_4401(
        server: Running, username: str) -> None:
    socket = await RawSocket.open(server.port, token=signed(claims(username=username)))
    assert await socket.close_code() == 4401
    await socket.close()


async def test_a_token_username_is_normalised(server: Running) -> None:
    socket = await RawSocket.open(server.port, token=signed(claims(username="\uff2e\uff45\uff4f")))
    assert (await socket.expect_json("authenticated"))["username"] == "Neo"
    await socket.close()
