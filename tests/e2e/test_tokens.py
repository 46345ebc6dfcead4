"""Token claims over real sockets, on both transports: what the docs allow signs in,
and whatever else is wrong with a token is a 4401 with a reason (never a 500 at the
upgrade or a 1011 in ``auth``), and an HTTP answer that is not a 500."""

import json
from typing import Any

import aiohttp
import pytest

from blazing.wiring import Running
from tests.conftest import ClientFactory, token_for
from tests.support import raw
from tests.support.tokens import claims, signed, wrong_claim_cases


@pytest.mark.parametrize("sub", [41, "41"], ids=["number", "numeric-string"])
async def test_sub_as_a_json_number_or_a_numeric_string_signs_in(
        server: Running, connect: ClientFactory, sub: object) -> None:
    token = signed(claims(sub=sub))
    at_upgrade = await raw.RawSocket.open(server.port, token=token)
    assert (await at_upgrade.expect_json("authenticated"))["user_id"] == 41
    await at_upgrade.close()
    anon = await connect(server, 0, authenticated=False)
    await anon.send("auth", token=token)
    assert (await anon.expect("authenticated"))["user_id"] == 41


@pytest.mark.parametrize(("claim", "value"), wrong_claim_cases())
async def test_a_claim_of_the_wrong_type_is_a_4401_at_the_upgrade_and_in_auth(
        server: Running, connect: ClientFactory, claim: str, value: Any) -> None:
    token = signed(claims(**{claim: value}))
    at_upgrade = await raw.RawSocket.open(server.port, token=token)
    assert at_upgrade.upgraded, at_upgrade.head
    closing = await at_upgrade.close_code()
    assert closing == 4401
    reason = at_upgrade.frames[-1].payload[2:].decode()
    assert reason.startswith("invalid token") or reason.startswith("token")
    await at_upgrade.close()
    anon = await connect(server, 0, authenticated=False)
    await anon.send("auth", token=token)
    assert await anon.wait_closed() == 4401


@pytest.mark.parametrize("payload", [b'{"sub":"41","username":"n","exp":1e400}',
                                     b'{"sub":"41","username":"n","exp":' + b"9" * 400 + b"}",
                                     b'{"sub":"41","username":"n"}',
                                     b"[1,2,3]", b'"a string"', b"not json"])
async def test_a_payload_that_is_no_claim_set_is_a_4401(server: Running,
                                                        payload: bytes) -> None:
    socket = await raw.RawSocket.open(server.port, token=signed(payload))
    assert await socket.close_code() == 4401
    await socket.close()


@pytest.mark.parametrize("cookie", [b"\xff\xfe\xfd", b"a.b.\xc3", "é.é.é".encode()])
async def test_a_cookie_that_is_not_ascii_is_a_4401_and_a_signed_out_session(
        server: Running, cookie: bytes) -> None:
    socket = await raw.RawSocket.open(server.port, raw_headers=b"Cookie: auth_token=" + cookie
                                      + b"\r\n")
    assert socket.upgraded, socket.head
    assert await socket.close_code() == 4401
    await socket.close()
    reader_writer = await raw.RawSocket.open(
        server.port, path="/api/session", raw_headers=b"Cookie: auth_token=" + cookie + b"\r\n")
    assert reader_writer.status == 200, reader_writer.head
    await reader_writer.close()


async def test_the_session_endpoint_reports_a_bad_token_as_signed_out(server: Running) -> None:
    jar = {"auth_token": signed(claims(exp="9999999999"))}
    async with aiohttp.ClientSession(cookies=jar) as http, \
            http.get(f"{server.base_url}/api/session") as response:
        assert response.status == 200
        body = json.loads(await response.text())
    assert body["signed_in"] is False and "exp" in body["error"]


async def test_a_good_token_still_signs_in_beside_the_bad_ones(server: Running,
                                                                connect: ClientFactory) -> None:
    for claim, value in wrong_claim_cases()[:5]:
        socket = await raw.RawSocket.open(server.port, token=signed(claims(**{claim: value})))
        assert await socket.close_code() == 4401
        await socket.close()
    alice = await connect(server, 1, "alice")
    await alice.send("list_rooms")
    await alice.expect("room_list")
    assert token_for(1, "alice")
