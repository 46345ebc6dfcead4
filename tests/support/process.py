"""``blazing serve`` as a real process: started on a fixed or free port, its memory
read from /proc, stopped with SIGTERM or killed with SIGKILL, started again on
the same port and data."""

import asyncio
import contextlib
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from blazing.bench.servers import free_port as free_port  # re-exported for the tests
from tests.conftest import SECRET

STARTUP_TIMEOUT = 30.0
REPO = Path(__file__).resolve().parents[2]


def rss_bytes(pid: int, field_name: str = "VmRSS") -> int:
    """Resident memory of ``pid`` (``VmRSS``, or its peak ``VmHWM``), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"{field_name} not in /proc/{pid}/status")


@dataclass
class ServeProcess:
    """One ``blazing serve``; ``args`` are its flags (the secret goes in its env)."""

    workdir: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # on top of this process's
    port: int = 0
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    _drain: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/games"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, start: int | None = None) -> str:
        """The stderr of start number ``start`` (default: the last)."""
        return (self.workdir / f"serve-{start or self.starts}.log").read_text(errors="replace")

    async def start(self) -> None:
        assert self.proc is None, "already running"
        self.starts += 1
        stderr = (self.workdir / f"serve-{self.starts}.log").open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "JWT_SECRET": SECRET, **self.env}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "blazing", "serve", "--host", "127.0.0.1",
            "--port", str(self.port), *self.args,
            stdout=asyncio.subprocess.PIPE, stderr=stderr, env=env, cwd=REPO)
        stderr.close()
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT):
                while True:
                    line = await self.proc.stdout.readline()
                    if not line:
                        raise RuntimeError(f"serve exited early:\n{self.log()}")
                    found = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", line)
                    if found:
                        self.port = int(found.group(1))
                        break
        except BaseException:
            await self.kill()
            raise
        self._drain = asyncio.create_task(self._drain_stdout(self.proc.stdout))

    @staticmethod
    async def _drain_stdout(stream: asyncio.StreamReader) -> None:
        while await stream.readline():
            pass

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no close frames (a crash, an OOM kill)."""
        await self._end(signal.SIGKILL)

    async def stop(self) -> None:
        await self._end(signal.SIGTERM)

    async def _end(self, how: signal.Signals) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(how)
            try:
                async with asyncio.timeout(15):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
            self._drain = None
