"""The chaos suite's own Redis, Kafka and FerretDB: started, restarted, killed and
wiped through ``scripts/services`` on ports and a data directory of their own, so
that its faults never reach the servers other tests use."""

import asyncio
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services"
SERVICE_NAMES = ("redis", "kafka", "mongo")


@dataclass(frozen=True)
class ServerSet:
    redis_port: int = int(os.environ.get("CHAOS_REDIS_PORT", "6390"))
    kafka_port: int = int(os.environ.get("CHAOS_KAFKA_PORT", "9392"))
    kafka_controller_port: int = int(os.environ.get("CHAOS_KAFKA_CONTROLLER_PORT", "9393"))
    mongo_port: int = int(os.environ.get("CHAOS_MONGO_PORT", "27030"))
    data_dir: str = os.environ.get("CHAOS_SERVICES_DIR", "/tmp/blazing-chaos")

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "REDIS_PORT": str(self.redis_port),
                "KAFKA_PORT": str(self.kafka_port),
                "KAFKA_CONTROLLER_PORT": str(self.kafka_controller_port),
                "MONGO_PORT": str(self.mongo_port), "BLAZING_SERVICES_DIR": self.data_dir,
                "STOP_TIMEOUT": "30"}

    @property
    def kafka(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def redis(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}"

    @property
    def mongo(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}"

    def run(self, *args: str, timeout: float = 240) -> None:
        """``scripts/services ARGS`` against this set; raises with its output if it fails."""
        done = subprocess.run([str(SERVICES), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/services {' '.join(args)} failed:\n"
                               f"{done.stdout}\n{done.stderr}")

    async def services(self, *args: str) -> None:
        """The same, without blocking the event loop (the games go on meanwhile)."""
        process = await asyncio.create_subprocess_exec(
            str(SERVICES), *args, env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate(), 240)
        if process.returncode != 0:
            raise RuntimeError(f"scripts/services {' '.join(args)} failed:\n{out.decode()}")
