"""Backups and restores: an online copy taken while answers are written passes the integrity
check and restores to a database the bot starts on; restore refuses damaged, foreign and
newer files and a running bot; BACKUP_KEEP rotation; the daily job; the command line."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlite_utils import Database
from telegram.ext import Job

from bot import backups, storage
from bot.backups import BackupError
from bot.context import ShopContext
from bot.settings import load_settings
from handlers.backup import daily_backup
from knowledge import drill as srs
from knowledge.models import Knowledge
from tests.botharness import ADMIN, Harness, invite_code, running_bot
from tests.cli import run_cli
from tests.fakebot import FakeBotApi, FakeUser

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
AMY = FakeUser(id=8201, first_name="Amy")
SUE = FakeUser(id=8101, first_name="Sue")


def _make_db(path: Path, kb: Knowledge, answers: int = 3) -> None:
    """A small ShopCoach database: one team, Amy, a few answers."""
    db = storage.open_db(path)
    try:
        team = storage.create_team(db, "信義店", NOW)
        storage.create_user(
            db, AMY.id, first_name="Amy", username=None, language="zh-TW", role="staff",
            team_id=team.id, now=NOW,
        )  # fmt: skip
        storage.set_consent(db, AMY.id, NOW)
        for n in range(answers):
            _answer(db, kb, AMY.id, NOW + timedelta(minutes=n))
    finally:
        db.close()


def _answer(db: Database, kb: Knowledge, user_id: int, at: datetime) -> None:
    qid = sorted(kb.questions)[int(at.timestamp()) % len(kb.questions)]
    q = kb.questions[qid]
    drill = storage.start_drill(db, user_id, [(qid, q.activity, (0, 1, 2, 3))], at)
    [item] = storage.drill_items(db, drill.id)
    state = srs.review(None, qid, srs.Rating.Good, at)
    storage.record_answer(db, item, 0, True, 3, at, state.card_json, state.due)
    storage.finish_drill(db, drill.id, "done", at)


def _count(path: Path, sql: str = "SELECT COUNT(*) FROM drill_items") -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(sql).fetchone()[0])


class Writer(threading.Thread):
    """Answers written as fast as the database takes them, on the thread's own connection."""

    def __init__(self, path: Path, kb: Knowledge, user_id: int) -> None:
        super().__init__(daemon=True)
        self.path, self.kb, self.user_id = path, kb, user_id
        self.stop = threading.Event()
        self.written = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            db = storage.open_db(self.path)
            try:
                at = NOW
                while not self.stop.is_set():
                    at += timedelta(seconds=1)
                    _answer(db, self.kb, self.user_id, at)
                    self.written += 1
            finally:
                db.close()
        except BaseException as exc:
            self.error = exc

    def wait_for(self, n: int) -> None:
        while self.written < n and self.error is None and self.is_alive():
            threading.Event().wait(0.005)


@pytest.fixture
def writer_stopper() -> Iterator[list[Writer]]:
    writers: list[Writer] = []
    yield writers
    for w in writers:
        w.stop.set()
        w.join(10)


async def test_backup_while_answers_are_written_restores_to_a_working_bot(
    tmp_path: Path, kb: Knowledge, writer_stopper: list[Writer]
) -> None:
    async with running_bot(tmp_path / "live") as h:
        await h.join(ADMIN, None)
        [made] = await h.say(ADMIN, "/newteam 信義店")
        await h.join(SUE, invite_code(made))
        [inv] = await h.say(SUE, "/invite")
        await h.join(AMY, invite_code(inv))
        writer = Writer(h.settings.database_path, kb, AMY.id)
        writer_stopper.append(writer)
        writer.start()
        writer.wait_for(20)
        working, done = await h.say(ADMIN, "/backup", replies=2)
        assert "正在備份" in (working.text or "")
        text = done.text or ""
        assert "備份完成" in text and "完整性檢查：ok" in text and " kB）" in text
        writer.wait_for(writer.written + 20)  # still writing after the copy
        writer.stop.set()
        writer.join(10)
        assert writer.error is None
        [copy] = backups.backups_in(h.settings.backup_dir, h.settings.database_path)
        assert copy.name in text
        # The copy holds a moment of the writes: some, not all.
        assert 20 <= _count(copy) < writer.written
        assert storage.integrity_check(copy) == "ok"
        # The bot holds its lock: restoring over its database is refused.
        with pytest.raises(BackupError) as refused:
            backups.restore(copy, h.settings.database_path, NOW, TZ)
        assert refused.value.key == "restore.running"
    # Stopped: restore into a new place and start the bot on it.
    target = tmp_path / "restored" / "shop.db"
    done_restore = backups.restore(copy, target, NOW, TZ)
    assert done_restore.kept is None and done_restore.upgraded == []
    async with running_bot(target.parent) as h2:
        assert h2.settings.database_path == target

        # It starts as the old one would: today's missed reminders go out, though not to Amy,
        # whose drills today are in the restored copy.
        def reminded(s: FakeBotApi) -> set[int]:
            return {
                c.chat_id
                for c in s.calls_of("sendMessage")
                if '"dr:s"' in json.dumps(c.params.get("reply_markup") or {})
            }

        await h2.server.wait_for(lambda s: len(reminded(s)) == 2)
        await h2.quiet(0.2)
        assert reminded(h2.server) == {ADMIN.id, SUE.id}
        # If the copy caught one of the writer's drills between its steps, Amy gets that
        # drill's question again (a drill resumed after a restart), never a reminder.
        for call in h2.server.sent_to(AMY.id):
            assert '"dr:a:' in json.dumps(call.params.get("reply_markup") or {})
        h2.server.clear()
        [teams] = await h2.say(ADMIN, "/teams")
        assert "1. 信義店（2 人）" in (teams.text or "")
        [me, _chart] = await h2.say(AMY, "/me", replies=2)
        assert "作答" in (me.text or "")


def test_backup_rotation_keeps_the_newest(tmp_path: Path, kb: Knowledge) -> None:
    db_path = tmp_path / "shopcoach.db"
    _make_db(db_path, kb)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "shopcoach-before-upgrade.db").write_bytes(db_path.read_bytes())
    made = []
    for n in range(5):
        made.append(backups.take_backup(db_path, folder, 3, NOW + timedelta(hours=n), TZ))
    assert [m.path.name for m in made] == [
        "shopcoach-20261130-093000.db",
        "shopcoach-20261130-103000.db",
        "shopcoach-20261130-113000.db",
        "shopcoach-20261130-123000.db",
        "shopcoach-20261130-133000.db",
    ]
    assert [p.name for p in made[-1].removed] == ["shopcoach-20261130-103000.db"]
    left = sorted(p.name for p in folder.iterdir())
    assert left == [
        "notes.txt",
        "shopcoach-20261130-113000.db",
        "shopcoach-20261130-123000.db",
        "shopcoach-20261130-133000.db",
        "shopcoach-before-upgrade.db",  # not a name backups make: never deleted
    ]
    # Two in the same second get distinct names, and the later counts as newer.
    again = backups.take_backup(db_path, folder, 3, NOW + timedelta(hours=4), TZ)
    assert again.path.name == "shopcoach-20261130-133000-2.db"
    assert [p.name for p in again.removed] == ["shopcoach-20261130-113000.db"]
    assert backups.backups_in(folder, db_path)[-1] == again.path
    # Each backup is one plain file (no -wal beside it) with the data.
    assert _count(again.path) == 3 and not list(folder.glob("*-wal"))


def test_no_database_no_backup(tmp_path: Path) -> None:
    with pytest.raises(BackupError) as err:
        backups.take_backup(tmp_path / "none.db", tmp_path / "b", 3, NOW, TZ)
    assert err.value.key == "backup.no_database"
    assert not (tmp_path / "none.db").exists()


@pytest.fixture
def live(tmp_path: Path, kb: Knowledge) -> Path:
    """The database a restore would replace, with 3 answers."""
    path = tmp_path / "data" / "shopcoach.db"
    _make_db(path, kb, answers=3)
    return path


def _good_backup(tmp_path: Path, kb: Knowledge, answers: int = 7) -> Path:
    src = tmp_path / "src" / "shopcoach.db"
    _make_db(src, kb, answers=answers)
    return backups.take_backup(src, tmp_path / "backups", 14, NOW, TZ).path


def test_restore_keeps_the_replaced_database(tmp_path: Path, kb: Knowledge, live: Path) -> None:
    backup = _good_backup(tmp_path, kb)
    done = backups.restore(backup, live, NOW + timedelta(days=1), TZ)
    assert _count(live) == 7
    assert done.kept == live.with_name("shopcoach-replaced-20261201-093000.db")
    assert _count(done.kept) == 3
    assert done.schema == storage.known_migrations()[-1]
    # The restored file is the bot's: WAL mode, no lock left behind, no stray files.
    with closing(sqlite3.connect(live)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sorted(p.name for p in live.parent.iterdir()) == [
        "shopcoach-replaced-20261201-093000.db",
        "shopcoach.db",
        "shopcoach.db.lock",
    ]
    lock = backups.DatabaseLock(live)
    assert lock.acquire()
    lock.release()


def _refused(backup: Path, live: Path) -> BackupError:
    before = live.read_bytes()
    with pytest.raises(BackupError) as err:
        backups.restore(backup, live, NOW, TZ)
    assert live.read_bytes() == before  # untouched
    assert not list(live.parent.glob("*replaced*")) and not list(live.parent.glob("*.restoring"))
    return err.value


def test_restore_refuses_a_file_that_is_not_a_database(tmp_path: Path, live: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not an SQLite file at all" * 200)
    assert _refused(junk, live).key == "restore.corrupt"


def test_restore_refuses_a_damaged_database(tmp_path: Path, kb: Knowledge, live: Path) -> None:
    backup = _good_backup(tmp_path, kb, answers=200)
    data = bytearray(backup.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, page):  # scribble over every b-tree page
        data[offset : offset + 64] = b"\xff" * 64
    backup.write_bytes(bytes(data))
    err = _refused(backup, live)
    assert err.key == "restore.corrupt" and err.values["detail"]


def test_restore_refuses_a_newer_schema(tmp_path: Path, kb: Knowledge, live: Path) -> None:
    backup = _good_backup(tmp_path, kb)
    with closing(sqlite3.connect(backup)) as conn, conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('shopcoach', '0099_from_the_future', '2027-01-01')"
        )
    err = _refused(backup, live)
    assert err.key == "restore.too_new" and err.values == {"names": "0099_from_the_future"}


def test_restore_refuses_another_programs_database(tmp_path: Path, live: Path) -> None:
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert _refused(other, live).key == "restore.not_shopcoach"
    assert _refused(tmp_path / "missing.db", live).key == "restore.missing"
    assert _refused(live, live).key == "restore.same_file"


def test_restore_brings_an_older_backup_up_to_date(tmp_path: Path, live: Path) -> None:
    old = tmp_path / "old.db"
    db = Database(old)
    last = storage.known_migrations()[-1]
    storage.migrations.apply(db, stop_before=last)
    db.close()
    done = backups.restore(old, live, NOW, TZ)
    assert done.upgraded == [last]
    assert storage.applied_migrations(live) == storage.known_migrations()


async def test_daily_backup_job_at_the_set_time(tmp_path: Path) -> None:
    async with running_bot(tmp_path, backup_time="04:15", backup_keep=2) as h:
        assert h.app.job_queue is not None
        [job] = h.app.job_queue.get_jobs_by_name(backups.DAILY_JOB)
        nxt = job.next_t.astimezone(TZ)  # type: ignore[union-attr]
        assert (nxt.hour, nxt.minute) == (4, 15)
        await h.join(ADMIN, None)
        context = ShopContext.from_job(Job(daily_backup, name=backups.DAILY_JOB), h.app)
        for _ in range(3):
            h.clock.advance(days=1)
            await daily_backup(context)
        names = [p.name for p in backups.backups_in(h.settings.backup_dir, tmp_path / "shop.db")]
        assert names == ["shop-20261202-093000.db", "shop-20261203-093000.db"]
        await h.quiet(0.1)
        told = [c.text or "" for c in h.server.sent_to(ADMIN.id)]
        assert not [t for t in told if "備份" in t]  # a good daily backup is only logged


async def test_daily_backup_problem_is_told_to_the_admins(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    async with running_bot(tmp_path, backup_dir=blocker / "backups") as h:
        await h.join(ADMIN, None)
        context = ShopContext.from_job(Job(daily_backup, name=backups.DAILY_JOB), h.app)
        await daily_backup(context)
        [told] = await h.server.wait_for_reply(ADMIN.id)
        assert (told.text or "").startswith("每日自動備份出了問題：\n備份沒有完成：")


async def test_no_daily_backup_when_turned_off(tmp_path: Path) -> None:
    async with running_bot(tmp_path, backup_time="0") as h:
        assert h.app.job_queue is not None
        assert h.app.job_queue.get_jobs_by_name(backups.DAILY_JOB) == ()


@pytest.mark.parametrize(
    ("value", "expected"), [("03:30", time(3, 30)), ("4:05", time(4, 5)), ("0", None)]
)
def test_backup_time_setting(value: str, expected: time | None) -> None:
    s = load_settings(_env_file=None, backup_time=value)
    got = s.daily_backup_at
    assert (got.replace(tzinfo=None) if got else None) == expected


def test_bad_backup_time_is_one_clear_line() -> None:
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="setting BACKUP_TIME: '25:00' is not a time"):
        load_settings(_env_file=None, backup_time="25:00")


async def test_staff_and_supervisors_may_not_back_up(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        await h.join(ADMIN, None)
        [made] = await h.say(ADMIN, "/newteam 信義店")
        await h.join(SUE, invite_code(made))
        [inv] = await h.say(SUE, "/invite")
        await h.join(AMY, invite_code(inv))
        for who in (SUE, AMY):
            [reply] = await h.say(who, "/backup")
            assert reply.text == "這個指令只有管理員可以用。"
        assert not h.settings.backup_dir.exists()


async def test_a_second_bot_on_the_same_database_does_not_start(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        from bot.app import build_application

        second = build_application(h.settings, library=h.state.library)
        await second.initialize()
        try:
            assert second.post_init is not None
            with pytest.raises(backups.DatabaseInUseError):
                await second.post_init(second)
        finally:
            await second.shutdown()
        [reply] = await h.say(ADMIN, "/start")  # the first goes on
        assert reply.text


async def _running(h: Harness) -> None:
    assert backups.DatabaseLock(h.settings.database_path).acquire() is False


async def test_command_line_backup_and_restore(tmp_path: Path, kb: Knowledge) -> None:
    (tmp_path / ".env").write_text("BACKUP_KEEP=2\n")
    live = tmp_path / "data" / "shopcoach.db"
    _make_db(live, kb, answers=4)
    made = run_cli("backup", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    [copy] = list((tmp_path / "data" / "backups").glob("shopcoach-*.db"))
    assert f"已備份到 {Path('data/backups') / copy.name}" in made.stdout
    assert "integrity check: ok" in made.stdout
    shutil.copyfile(copy, tmp_path / "keep.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\0" * 10_000)
    bad = run_cli("restore", str(junk), cwd=tmp_path)
    assert bad.returncode == 1 and "損壞" in bad.stderr and "damaged" in bad.stderr
    # While a bot runs on the database, the restore is refused, from another process too.
    async with running_bot(tmp_path / "data", database_path=live) as h:
        await _running(h)
        busy = run_cli("restore", "keep.db", cwd=tmp_path)
        assert busy.returncode == 1, busy.stdout
        assert "機器人正在使用這個資料庫" in busy.stderr and "Stop the bot first" in busy.stderr
    done = run_cli("restore", "keep.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "已從 keep.db 還原資料庫" in done.stdout and "is kept as data/" in done.stdout
    assert _count(live) == 4
