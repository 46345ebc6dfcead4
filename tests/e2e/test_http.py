"""The HTTP side: probes, dev login and the history API."""

import logging

import aiohttp
import pytest

from blazing.web.app import WEB_DIR, dev_user_id
from blazing.wiring import Running
from tests.conftest import ClientFactory, token_for
from tests.support.raw import RawSocket


async def test_health_and_readiness(server: Running) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/healthz") as response:
            assert response.status == 200
        async with http.get(f"{server.base_url}/readyz") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ready"


async def test_dev_login_sets_a_cookie_the_socket_accepts(server: Running) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{server.base_url}/api/session") as response:
            assert response.status == 200
            assert await response.json() == {"signed_in": False, "dev_login": True}
        async with http.post(f"{server.base_url}/api/dev/login",
                             json={"username": "  Zoe "}) as response:
            assert response.status == 200
            body = await response.json()
            cookie = response.cookies["auth_token"]
            assert cookie["httponly"] and cookie["samesite"] == "Lax"
        assert body["user_id"] == dev_user_id("zoe") and body["username"] == "Zoe"
        async with http.get(f"{server.base_url}/api/session") as response:
            me = await response.json()
            assert me["signed_in"] is True and me["user_id"] == body["user_id"]
        async with http.ws_connect(server.ws_url) as ws:
            hello = await ws.receive_json()
            assert hello["type"] == "authenticated" and hello["user_id"] == body["user_id"]


async def test_dev_login_refuses_bad_usernames(server: Running) -> None:
    async with aiohttp.ClientSession() as http:
        for body in ({"username": ""}, {"username": "x" * 40}, {"name": "x"}):
            async with http.post(f"{server.base_url}/api/dev/login", json=body) as response:
                assert response.status == 400


async def test_dev_login_is_absent_when_turned_off(make_server: object) -> None:
    server = await make_server(dev_login=False)  # type: ignore[operator]
    async with aiohttp.ClientSession() as http, http.post(f"{server.base_url}/api/dev/login",
                         json={"username": "x"}) as response:
        assert response.status in (404, 405)


async def test_history_api_validates_its_parameters(server: Running) -> None:
    async with aiohttp.ClientSession() as http:
        for query in ("", "?user_id=abc", "?user_id=1&limit=0", "?user_id=1&limit=1000"):
            async with http.get(f"{server.base_url}/api/games/history{query}") as response:
                assert response.status == 400
        async with http.get(f"{server.base_url}/api/games/history?user_id=42") as response:
            assert response.status == 200
            assert (await response.json()) == {"games": [], "next_cursor": None}
        async with http.get(f"{server.base_url}/api/games/history/room_nope") as response:
            assert response.status == 404


async def test_the_games_page_is_served(server: Running) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{server.base_url}/games") as response:
        assert response.status == 200
        assert "<html" in (await response.text()).lower()


async def test_an_invite_link_serves_the_page_without_its_code(server: Running) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/games") as response:
            page = await response.text()
        hostile = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
        for code in ("ABCDEFGHJK", hostile):
            async with http.get(f"{server.base_url}/games/join/{code}") as response:
                assert response.status == 200
                assert response.content_type == "text/html"
                body = await response.text()
            assert body == page  # the page reads the code from its address, in the browser
            assert "alert(1)" not in body
        async with http.get(f"{server.base_url}/games/join/a/b") as response:
            assert response.status == 404


async def test_a_replay_link_serves_the_replay_page_without_its_id(server: Running) -> None:
    replay_html = (WEB_DIR / "replay.html").read_text()
    hostile = ("%3Cscript%3Ealert(1)%3C%2Fscript%3E",
               "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E", "room_abc.1")
    async with aiohttp.ClientSession() as http:
        for game_id in hostile:
            async with http.get(f"{server.base_url}/games/replay/{game_id}") as response:
                assert response.status == 200
                assert response.content_type == "text/html"
                body = await response.text()
            assert body == replay_html  # the page reads the id from its address
            assert "alert(" not in body and "room_abc" not in body
        async with http.get(f"{server.base_url}/games/replay/a/b") as response:
            assert response.status == 404


async def test_metrics_count_connections_commands_and_errors(server: Running,
                                                            connect: ClientFactory) -> None:
    alice = await connect(server, 1, "alice")
    await alice.send("list_rooms")
    await alice.expect("room_list")
    await alice.send("teleport")
    await alice.expect_error("UNKNOWN_TYPE")
    async with aiohttp.ClientSession() as http, \
            http.get(f"{server.base_url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    assert "blazing_connections " in text
    assert 'blazing_commands_total{type="list_rooms"}' in text
    assert 'blazing_errors_total{code="UNKNOWN_TYPE"}' in text
    assert "blazing_command_latency_seconds_bucket" in text


async def test_the_game_catalogue_lists_every_game_with_its_seats_and_messages(
        server: Running) -> None:
    async with aiohttp.ClientSession() as http, \
            http.get(f"{server.base_url}/api/games") as response:
        assert response.status == 200
        games = {g["game_type"]: g for g in (await response.json())["games"]}
    assert set(games) == {"bigger_dice", "tic_tac_toe"}
    dice, ttt = games["bigger_dice"], games["tic_tac_toe"]
    assert (dice["min_players"], dice["max_players"], dice["default_players"]) == (2, 10, 2)
    assert (ttt["min_players"], ttt["max_players"]) == (2, 2)
    assert dice["commands"] == ["bigger_dice.roll"]
    assert "tic_tac_toe.game_result" in ttt["events"]
    assert ttt["error_codes"] == ["CELL_OCCUPIED", "INVALID_POSITION"]


async def test_history_by_game_type_refuses_an_unknown_game(server: Running) -> None:
    async with aiohttp.ClientSession() as http, http.get(
            f"{server.base_url}/api/games/history",
            params={"user_id": "1", "game_type": "chess"}) as response:
        assert response.status == 400
        assert "game_type" in (await response.json())["error"]


async def test_every_bad_history_parameter_is_a_400_with_a_reason(server: Running) -> None:
    async with aiohttp.ClientSession() as http:
        for query in ("?user_id=9223372036854775808", "?user_id=99999999999999999999999",
                      "?user_id=-1", "?user_id=%D9%A4%D9%A2", "?user_id=4_2", "?user_id=+4",
                      "?user_id=%2042", "?user_id=1&limit=abc", "?user_id=1&limit=",
                      "?user_id=1&limit=9223372036854775808"):
            async with http.get(f"{server.base_url}/api/games/history{query}") as response:
                assert response.status == 400, query
                body = await response.json()
                assert "user_id" in body["error"] or "limit" in body["error"], body
        async with http.get(f"{server.base_url}/api/games/history?user_id=9223372036854775807"
                            ) as response:
            assert response.status == 200
            assert await response.json() == {"games": [], "next_cursor": None}
        async with http.get(f"{server.base_url}/api/games/history/{'r' * 65}") as response:
            assert response.status == 400


@pytest.mark.parametrize(("origin", "status"), [
    ("http://[::1", 403), ("http://[", 403), ("://", 403), ("http://a:b:c", 403),
    ("null", 403), ("\x7f", 400)])  # a control byte in a header: the HTTP parser's 400
async def test_an_unparsable_origin_is_refused_with_403_not_a_500(
        server: Running, origin: str, status: int) -> None:
    socket = await RawSocket.open(server.port, token=token_for(1, "a"),
                                  headers={"Origin": origin})
    assert socket.status == status, socket.head
    await socket.close()


async def test_dev_login_takes_json_only(server: Running) -> None:
    async with aiohttp.ClientSession() as http:
        for content_type in ("text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", ""):
            headers = {"Content-Type": content_type} if content_type else {}
            async with http.post(f"{server.base_url}/api/dev/login", headers=headers,
                                 data=b'{"username": "mallory"}') as response:
                assert response.status == 415, content_type
                assert "set-cookie" not in response.headers
                assert "application/json" in (await response.json())["error"]


@pytest.mark.parametrize("body", [{"username": None}, {"username": {}}, {"username": []},
                                  {"username": 5}, {"username": True}, [], "x", 5,
                                  {"username": "\u200b\u200b"}, {"username": "\u202eevil"},
                                  {"username": "a\x00b"}, {"username": " "}])
async def test_dev_login_refuses_what_is_not_a_printable_username(server: Running,
                                                                 body: object) -> None:
    async with aiohttp.ClientSession() as http, \
            http.post(f"{server.base_url}/api/dev/login", json=body) as response:
        assert response.status == 400, body
        assert (await response.json())["error"]
        assert "set-cookie" not in response.headers


async def test_dev_login_normalises_the_name_and_ignores_invisibles_for_the_id(
        server: Running) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}/api/dev/login",
                             json={"username": "Ｚｏｅ"}) as response:  # full-width
            wide = await response.json()
        async with http.post(f"{server.base_url}/api/dev/login",
                             json={"username": "zo\u200be"}) as response:
            hidden = await response.json()
    assert wide["username"] == "Zoe" and wide["user_id"] == dev_user_id("zoe")
    assert hidden["user_id"] == dev_user_id("zoe")


@pytest.mark.parametrize("header", [b"X-Bad: a\x7fb", b"Content-Length: -1",
                                    b"Transfer-Encoding: chunked\r\nContent-Length: 5",
                                    b"Not a header line"])
@pytest.mark.parametrize("path", ["/ws/games", "/api/session"])
async def test_a_malformed_request_is_a_400_and_logs_nothing_above_debug(
        server: Running, caplog: pytest.LogCaptureFixture, header: bytes, path: str) -> None:
    caplog.set_level(logging.DEBUG)
    socket = await RawSocket.open(server.port, path=path, raw_headers=header + b"\r\n")
    assert socket.status == 400, socket.head
    await socket.close()
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not loud, loud
