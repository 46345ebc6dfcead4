"""The picows link's outbound path with a recording transport: the frames of one loop
turn go out in one write, and none are written past a pause, a close or a hang-up."""

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from picows import WSCloseCode, WSMsgType

from blazing.gateway.picows_transport import PicowsLink
from blazing.gateway.server import Gateway
from blazing.gateway.session import Session


@dataclass
class Recorded:
    """What reached the socket, in order: ("frame", payload) for picows's own sends,
    ("raw", bytes) for a write straight to the transport, ("close", code)."""

    writes: list[tuple[str, Any]] = field(default_factory=list)


class RecordingTransport:
    def __init__(self, recorded: Recorded) -> None:
        self.recorded = recorded
        self.is_disconnected = False
        self.is_close_frame_sent = False
        self.underlying_transport = SimpleNamespace(
            write=lambda data: recorded.writes.append(("raw", bytes(data))))

    def send(self, kind: WSMsgType, data: bytes) -> None:
        assert kind == WSMsgType.TEXT
        self.recorded.writes.append(("frame", data))

    def send_close(self, code: WSCloseCode, reason: bytes = b"") -> None:
        self.is_close_frame_sent = True
        self.recorded.writes.append(("close", int(code)))

    def disconnect(self, graceful: bool = True) -> None:
        self.is_disconnected = True


def link_on(recorded: Recorded, limit: int = 1 << 20) -> PicowsLink:
    gateway = SimpleNamespace(limits=SimpleNamespace(outbound_queue_bytes=limit))
    session = SimpleNamespace(socket_id="sock_test")
    link = PicowsLink(cast(Gateway, gateway), cast(Session, session), None, None)
    link.transport = cast(Any, RecordingTransport(recorded))
    return link


async def next_turn() -> None:
    await asyncio.sleep(0)  # the callbacks scheduled in this turn run before we resume


def frames_in(raw: bytes) -> list[bytes]:
    """The payloads of the unmasked frames in ``raw`` (each must be a final TEXT frame)."""
    out, at = [], 0
    while at < len(raw):
        assert raw[at] == 0x81 and raw[at + 1] & 0x80 == 0
        size, at = raw[at + 1], at + 2
        if size == 126:
            size, at = int.from_bytes(raw[at:at + 2], "big"), at + 2
        elif size == 127:
            size, at = int.from_bytes(raw[at:at + 8], "big"), at + 8
        out.append(raw[at:at + size])
        at += size
    return out


async def test_the_frames_of_one_turn_are_one_write_and_a_lone_frame_goes_through_picows(
        ) -> None:
    recorded = Recorded()
    link = link_on(recorded)
    payloads = [b'{"n":1}', b"x" * 200, b"y" * 70_000]
    for data in payloads:
        link.push(data)
    assert recorded.writes == []  # nothing before the turn ends
    await next_turn()
    assert [kind for kind, _ in recorded.writes] == ["raw"]
    assert frames_in(recorded.writes[0][1]) == payloads
    link.push(b'{"n":4}')
    await next_turn()
    assert recorded.writes[1:] == [("frame", b'{"n":4}')]


async def test_frames_waiting_when_writing_pauses_head_the_queue_and_wait_for_resume(
        ) -> None:
    recorded = Recorded()
    link = link_on(recorded)
    link.push(b"a")
    link.push(b"b")
    link.pause_writing()  # the kernel's buffer filled (another write this turn)
    link.push(b"c")
    await next_turn()
    assert recorded.writes == []  # a paused socket is given nothing more
    link.resume_writing()
    assert recorded.writes == [("frame", b"a"), ("frame", b"b"), ("frame", b"c")]


async def test_waiting_frames_count_towards_the_queue_limit_once_paused() -> None:
    recorded = Recorded()
    link = link_on(recorded, limit=10)
    link.push(b"123456")
    link.pause_writing()
    link.push(b"7890ab")  # 12 bytes queued: over the limit
    assert link.close_requested is not None and link.close_requested[0] == 4409
    await next_turn()
    assert [kind for kind, _ in recorded.writes] == ["close"]  # the backlog is dropped


async def test_nothing_is_written_after_the_peer_hung_up_or_a_close_frame() -> None:
    recorded = Recorded()
    link = link_on(recorded)
    transport = cast(RecordingTransport, link.transport)
    link.push(b"a")
    transport.is_close_frame_sent = True  # the peer's close was answered meanwhile
    await next_turn()
    link.push(b"b")
    transport.is_disconnected = True
    await next_turn()
    assert recorded.writes == []
