"""The command line: `blazing serve` as a real process, `blazing token`, `--help`."""

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from blazing.settings import OPTIONS
from tests.conftest import SECRET, token_for
from tests.support.client import WsClient


async def test_serve_runs_a_playable_server_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "blazing", "serve", "--port", "0", "--jwt-secret", SECRET,
        "--history-url", f"sqlite:///{tmp_path / 'h.db'}",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        match = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", line)
        assert match, line
        url = f"ws://127.0.0.1:{int(match.group(1))}/ws/games"
        client = await WsClient.connect(url, token=token_for(1, "ann"))
        await client.send("create_room", game_type="bigger_dice", room_name="Proc")
        await client.expect("room_created")
        process.send_signal(signal.SIGINT)
        assert await client.wait_closed(timeout=10) == 1001
        await client.close()
        output = await asyncio.wait_for(process.stdout.read(), 15)
        assert await asyncio.wait_for(process.wait(), 15) == 0
        assert b"dev login is ON" in line + output
        assert b"Traceback" not in output
        assert (tmp_path / "h.db").exists()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_token_prints_a_token_the_gateway_accepts() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "blazing", "token", "--user-id", "42", "--username", "neo",
         "--secret", SECRET, "--ttl", "60"], capture_output=True, text=True, check=True)
    claims = jwt.decode(out.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "42" and claims["username"] == "neo"
    assert claims["exp"] - claims["iat"] == 60


def test_serve_help_names_every_option_and_its_env_var() -> None:
    out = subprocess.run([sys.executable, "-m", "blazing", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for option in OPTIONS:
        assert "--" + option.name.replace("_", "-") in out
        assert option.env in out


def test_a_bad_setting_is_reported_without_a_traceback() -> None:
    out = subprocess.run([sys.executable, "-m", "blazing", "serve", "--bus-url", "nats://x",
                          "--jwt-secret", SECRET, "--port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "unsupported BUS_URL" in out.stderr and "Traceback" not in out.stderr


def test_an_unknown_websocket_transport_is_reported() -> None:
    out = subprocess.run([sys.executable, "-m", "blazing", "serve", "--ws-transport", "tornado",
                          "--jwt-secret", SECRET, "--port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "WS_TRANSPORT must be one of aiohttp, picows" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("flag", ["--gateway-ttl", "--timer-interval"])
def test_a_period_of_zero_is_refused(flag: str) -> None:
    out = subprocess.run([sys.executable, "-m", "blazing", "serve", flag, "0",
                          "--jwt-secret", SECRET, "--port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "must be a positive number of seconds" in out.stderr
    assert "Traceback" not in out.stderr


def test_passwords_in_urls_are_not_printed() -> None:
    from blazing.cli import redact

    assert redact("mongodb://admin:s3cret@db:27017/blazing") == "mongodb://admin:***@db:27017/blazing"
    assert redact("redis://:pw@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redact("kafka://k1:9092") == "kafka://k1:9092"


@pytest.mark.parametrize(("flag", "url", "library"), [
    ("--bus-url", "kafka://127.0.0.1:9", "aiokafka"),
    ("--state-url", "redis://127.0.0.1:9/0", "redis"),
    ("--history-url", "mongodb://127.0.0.1:9/db", "pymongo"),
])
def test_a_backend_without_its_client_library_names_the_extra_in_one_line(
        flag: str, url: str, library: str) -> None:
    # The library made unimportable, as in an install without the `distributed` extra.
    program = ("import sys; sys.modules[sys.argv[1]] = None; from blazing.cli import main; "
               "sys.exit(main(sys.argv[2:]))")
    out = subprocess.run([sys.executable, "-c", program, library, "serve", flag, url,
                          "--jwt-secret", SECRET, "--port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert library in lines[0] and "pip install 'blazing[distributed]'" in lines[0]
