"""Backups and restores of the database file, and the lock that says the bot is running.

A backup is SQLite's online backup into `BACKUP_DIR/<db name>-YYYYMMDD-HHMMSS.db` (local
time), checked with `PRAGMA integrity_check`; after a good one only the newest `BACKUP_KEEP`
are kept. A restore needs the bot stopped (the bot holds an exclusive lock on `<db>.lock`
while it runs), checks the file first, and keeps the database it replaces.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from telegram.ext import JobQueue

from bot import storage

JobCallback = Callable[[Any], Coroutine[Any, Any, None]]

DAILY_JOB = "backup:daily"


class BackupError(Exception):
    """A backup or restore that was not done; `key` is the catalogue text saying why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


# --- the lock --------------------------------------------------------------------------------


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


class DatabaseLock:
    """An exclusive flock on `<db>.lock`: held by the running bot, and by a restore.

    The kernel drops the lock when the process ends, however it ends, so a crashed bot never
    leaves a stale lock behind. flock locks belong to the open file, so a second holder in
    the same process is refused too.
    """

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> bool:
        """Take the lock; False when someone else holds it."""
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def holder(self) -> str:
        """The process id written by whoever holds the lock (for the message), or ''."""
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""


class DatabaseInUseError(Exception):
    """Another ShopCoach already runs on this database."""


# --- backups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    check: str  # 'ok', or what integrity_check found
    removed: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.check == "ok"


def _backup_re(stem: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(stem)}-([0-9]{{8}}-[0-9]{{6}})(?:-([0-9]+))?\.db")


def backups_in(backup_dir: Path, db_path: Path) -> list[Path]:
    """The backups of this database in the folder, oldest first (other files are ignored)."""
    pattern = _backup_re(db_path.stem)
    found = []
    for p in backup_dir.glob(f"{db_path.stem}-*.db") if backup_dir.is_dir() else []:
        match = pattern.fullmatch(p.name)
        if match:
            found.append(((match.group(1), int(match.group(2) or 1)), p))
    return [p for _, p in sorted(found)]


def _new_name(backup_dir: Path, db_path: Path, now: datetime, tz: ZoneInfo) -> Path:
    base = f"{db_path.stem}-{now.astimezone(tz):%Y%m%d-%H%M%S}"
    path, n = backup_dir / f"{base}.db", 1
    while path.exists():
        n += 1
        path = backup_dir / f"{base}-{n}.db"
    return path


def take_backup(db_path: Path, backup_dir: Path, keep: int, now: datetime, tz: ZoneInfo) -> Backup:
    """Copy the live database into the backup folder, check the copy, rotate old ones.

    Safe while the bot writes (runs on connections of its own; call it in a worker thread
    from the bot). Older backups are deleted only after a copy that passed the check.
    """
    if not db_path.is_file():
        raise BackupError("backup.no_database", path=str(db_path))
    try:
        backup_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError("backup.failed", detail=str(exc)) from exc
    dest = _new_name(backup_dir, db_path, now, tz)
    part = dest.with_name(dest.name + ".part")
    try:
        storage.copy_online(db_path, part)
        os.replace(part, dest)
    except (sqlite3.Error, OSError) as exc:
        part.unlink(missing_ok=True)
        raise BackupError("backup.failed", detail=str(exc)) from exc
    check = storage.integrity_check(dest)
    removed: list[Path] = []
    if check == "ok":
        for old in backups_in(backup_dir, db_path)[:-keep]:
            old.unlink(missing_ok=True)
            removed.append(old)
    return Backup(dest, dest.stat().st_size, check, removed)


def schedule_daily(job_queue: JobQueue | None, at: time | None, callback: JobCallback) -> None:
    """(Re)place the daily backup job; `at` None (BACKUP_TIME=0) means no daily backup."""
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(DAILY_JOB):
        job.schedule_removal()
    if at is not None:
        job_queue.run_daily(callback, time=at, name=DAILY_JOB)


# --- restore ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    source: Path
    database: Path
    kept: Path | None  # where the replaced database went (None: there was none)
    schema: str  # the restored file's last migration
    upgraded: list[str]  # migrations applied to bring an older backup up to date


def _move_with_sidecars(src: Path, dest: Path) -> None:
    os.replace(src, dest)
    for suffix in ("-wal", "-shm"):
        side = src.with_name(src.name + suffix)
        if side.exists():
            os.replace(side, dest.with_name(dest.name + suffix))


def check_restorable(path: Path) -> tuple[str, list[str]]:
    """Refuse a file that is damaged, not ShopCoach's, or from a newer version; else return
    (its last migration, the migrations it lacks)."""
    check = storage.integrity_check(path)
    if check != "ok":
        raise BackupError("restore.corrupt", detail=check)
    try:
        applied = storage.applied_migrations(path)
    except sqlite3.DatabaseError as exc:
        raise BackupError("restore.corrupt", detail=str(exc)) from exc
    if not applied:
        raise BackupError("restore.not_shopcoach")
    known = storage.known_migrations()
    newer = [name for name in applied if name not in known]
    if newer:
        raise BackupError("restore.too_new", names=", ".join(newer))
    return applied[-1], [name for name in known if name not in applied]


def restore(backup: Path, db_path: Path, now: datetime, tz: ZoneInfo) -> Restored:
    """Put `backup` in place of the database; the bot must be stopped.

    Order: take the bot's lock (refuse if it runs) → copy the file next to the database →
    check the copy → move the current database (and any -wal/-shm) aside with a timestamp
    → move the copy in → open it once with this code's migrations, as the bot will.
    """
    if not backup.is_file():
        raise BackupError("restore.missing", path=str(backup))
    if db_path.exists() and backup.resolve() == db_path.resolve():
        raise BackupError("restore.same_file")
    lock = DatabaseLock(db_path)
    if not lock.acquire():
        raise BackupError("restore.running", pid=lock.holder() or "?")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        incoming = db_path.with_name(db_path.name + ".restoring")
        shutil.copyfile(backup, incoming)
        try:
            schema, missing = check_restorable(incoming)
        except BackupError:
            _remove_with_sidecars(incoming)
            raise
        kept = None
        if db_path.exists():
            # The kept file then holds everything by itself; a damaged one is kept as it is.
            with contextlib.suppress(sqlite3.DatabaseError):
                storage.checkpoint(db_path)
            kept = db_path.with_name(
                f"{db_path.stem}-replaced-{now.astimezone(tz):%Y%m%d-%H%M%S}{db_path.suffix}"
            )
            _move_with_sidecars(db_path, kept)
        for suffix in ("-wal", "-shm"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        _move_with_sidecars(incoming, db_path)
        storage.set_wal(db_path)
        storage.open_db(db_path).close()
        return Restored(backup, db_path, kept, schema, missing)
    finally:
        lock.release()


def _remove_with_sidecars(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
