"""The real `python -m bot run` as a child process, polling a fake Bot API in this process.

Used by tests/test_crash.py and the benches that kill, restart or time the real process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from bot import storage
from tests.fakebot import FakeBotApi, FakeUser

ROOT = Path(__file__).resolve().parents[1]
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def seed_staff(db_path: Path, *users: FakeUser, reminders: bool = False) -> None:
    """A team with these users in it, consented (reminders off unless asked)."""
    db = storage.open_db(db_path)
    now = datetime.now(UTC)
    team = storage.create_team(db, "測試店", now)
    for user in users:
        storage.create_user(
            db,
            user.id,
            first_name=user.first_name,
            username=user.username,
            language="en" if user.language_code == "en" else "zh-TW",
            role="staff",
            team_id=team.id,
            now=now,
        )
        storage.set_consent(db, user.id, now)
        storage.set_reminder(db, user.id, enabled=reminders)
    db.close()


class BotProcess:
    """One `python -m bot run` at a time against `server`, on the database at `db_path`."""

    def __init__(
        self,
        server: FakeBotApi,
        db_path: Path,
        *,
        log: Path | None = None,
        argv: list[str] | None = None,
        **env: str,
    ) -> None:
        self.server = server
        # What follows `python`: the bot by default; a bench may run another bot or a profiler.
        self.argv = argv or ["-m", "bot", "run"]
        self.db_path = db_path
        self.log = log
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.cpu_at_poll = 0.0  # CPU seconds (user + system) the process had used by then
        self._log_file: IO[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in _PROXIES}
        env.update(
            TELEGRAM_BOT_TOKEN=self.server.token,
            TELEGRAM_API_BASE_URL=f"{self.server.url}/bot",
            DATABASE_PATH=str(self.db_path),
            ADMIN_USER_IDS="",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env)
        if self.log is not None:
            self._log_file = self.log.open("ab")
        self._polls = len(self.server.calls_of("getUpdates"))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, *self.argv],
            cwd=ROOT,
            env=env,
            stdout=self._log_file or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    async def polling(self, timeout: float = 30.0) -> float:  # noqa: ASYNC109
        """Wait for this process's first getUpdates; seconds from spawn to its arrival."""
        deadline = time.monotonic() + timeout
        while True:
            polls = self.server.calls_of("getUpdates")[self._polls :]
            if polls:
                self.cpu_at_poll = self.cpu_seconds()
                return polls[0].received - self.started
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the bot exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not start polling")
            await asyncio.sleep(0.005)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the process (Linux /proc), 0.0 if unknown."""
        if self.proc is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close_log()

    async def stop(self) -> None:
        """A clean stop (SIGTERM), as a service manager does."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            for _ in range(200):
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                self.proc.kill()
                self.proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
