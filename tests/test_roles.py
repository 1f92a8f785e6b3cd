"""One access rule for commands and buttons, role by role, through the real Application.

Tables: every command and every button kind × {stranger, staff, supervisor of this team,
supervisor of another team, admin}. To cover a new command or button, add a row. Also:
buttons act only for the person they were shown to, invite limits hold under concurrent
redemption, and ADMIN_USER_IDS is the truth at every start.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot import access, charts, storage
from bot.app import build_application
from bot.texts import plain, t
from handlers import errors
from tests.botharness import NOW, Clock, invite_code, make_settings, shipped_library
from tests.fakebot import Call, FakeBotApi, FakeUser
from tests.inproc import LocalRequest

TEAM, OTHER_TEAM = 1, 2
PEOPLE = {
    "stranger": FakeUser(8_100_001, "Sam", language_code="en"),
    "staff": FakeUser(8_100_002, "Tina", language_code="en"),
    "supervisor": FakeUser(8_100_003, "Sue", language_code="en"),
    "other_supervisor": FakeUser(8_100_004, "Otto", language_code="en"),
    "admin": FakeUser(8_100_005, "Ada", language_code="en"),
}
ROLES = tuple(PEOPLE)
MEMBERS = frozenset(ROLES) - {"stranger"}
GROUP = {"id": -100_200_300, "type": "supergroup", "title": "Shop"}

SUPERVISORS = frozenset({"supervisor", "other_supervisor", "admin"})
# (command, the roles it serves; everyone else gets the refusal; strangers the invite answer)
COMMANDS: list[tuple[str, frozenset[str]]] = [
    ("/start", MEMBERS),
    ("/help", MEMBERS),
    ("/lang", MEMBERS),
    ("/privacy", MEMBERS),
    ("/forgetme", MEMBERS),
    ("/browse", MEMBERS),
    ("/ask 收銀機當機", MEMBERS),
    ("/drill", MEMBERS),
    ("/stop", MEMBERS),
    ("/me", MEMBERS),
    ("/settings", MEMBERS),
    ("/settings ²:³⁰", MEMBERS),
    ("/invite", frozenset({"supervisor", "other_supervisor", "admin"})),
    ("/invite 1", frozenset({"supervisor", "other_supervisor", "admin"})),
    ("/newteam X", frozenset({"admin"})),
    ("/teams", frozenset({"admin"})),
    ("/reload", frozenset({"admin"})),
    ("/nosuchcommand", MEMBERS),
    # supervisors (issue 12, 16): the teams they lead; admins any team
    ("/team", SUPERVISORS),
    ("/member Tina", SUPERVISORS),
    ("/unanswered", SUPERVISORS),
    ("/faults", SUPERVISORS),
    ("/export", SUPERVISORS),
    ("/remove", SUPERVISORS),
    ("/promote", frozenset({"admin"})),
    ("/demote", frozenset({"admin"})),
    ("/stats", frozenset({"admin"})),
    ("/backup", frozenset({"admin"})),
]


@dataclass(frozen=True)
class Press:
    """A button kind: its data as shown to staff (from their own messages), and who it
    acts for when someone presses it; everyone else gets the stale answer."""

    kind: str
    data: Callable[[dict[str, Any]], str]
    acts_for: frozenset[str]


STAFF_ONLY = frozenset({"staff"})
BUTTONS: list[Press] = [
    Press("consent", lambda s: f"consent:yes:{s['staff']}", STAFF_ONLY),
    Press("forget", lambda s: f"forget:no:{s['staff']}", STAFF_ONLY),
    Press("lang", lambda s: f"lang:en:{s['staff']}", STAFF_ONLY),
    Press("settings", lambda s: f"set:t:1400:{s['staff']}", STAFF_ONLY),
    Press("feedback", lambda s: f"fb:{s['question']}:1", STAFF_ONLY),
    Press("drill answer", lambda s: f"dr:a:{s['item']}:0", STAFF_ONLY),
    Press("card", lambda _s: "card:t33-pos-freeze", MEMBERS),
    Press("browse", lambda _s: "br:a:T3.3", MEMBERS),
    Press("browse indicators", lambda _s: "br:i:T3.3", MEMBERS),
    Press("practise this", lambda _s: "dr:p:T3.3", MEMBERS),
    Press("drill start", lambda _s: "dr:s", MEMBERS),
]


class Bot:
    """The real Application with the fake Bot API in process; one update at a time."""

    def __init__(self, server: FakeBotApi, app: Application) -> None:  # type: ignore[type-arg]
        self.server = server
        self.app = app
        self.errors: list[BaseException] = []

    @property
    def db(self) -> Any:
        return self.app.bot_data.db

    async def _process(self) -> list[Call]:
        before = len(self.server.calls)
        await self.app.process_update(Update.de_json(self.server.updates[-1], self.app.bot))
        return self.server.calls[before:]

    async def say(
        self, user: FakeUser, text: str, chat: dict[str, Any] | None = None
    ) -> list[Call]:
        self.server.send_text(user, text, chat)
        return await self._process()

    async def press(
        self, user: FakeUser, message: Call, data: str, chat: dict[str, Any] | None = None
    ) -> tuple[str, list[Call]]:
        """Press; return the answerCallbackQuery text and every call made."""
        self.server.press(user, message.result["message_id"], data, chat)
        calls = await self._process()
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answers, f"{data}: the button was not answered"
        return str(answers[0].params.get("text") or ""), calls


@pytest.fixture
async def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    monkeypatch.setattr(charts, "progress_drawing", lambda *_a, **_k: lambda: b"\x89PNG\r\n\x1a\n")
    # The stub is drawn in this process (the chart process would draw the real chart).
    monkeypatch.setattr(charts, "_RENDER", charts._Renderer(60, process=False))
    async with FakeBotApi() as server:
        cfg = make_settings(server, tmp_path, admin_user_ids=frozenset({PEOPLE["admin"].id}))
        app = build_application(
            cfg, clock=Clock(), library=shipped_library(), request=LocalRequest(server)
        )
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        b = Bot(server, app)

        async def record(_update: object, context: Any) -> None:
            if not errors.expected(context.error):
                b.errors.append(context.error)

        app.add_error_handler(record)
        db = b.db
        for team_id in (TEAM, OTHER_TEAM):
            storage.create_team(db, f"Team {team_id}", NOW)
        for role, team, leads in (
            ("staff", TEAM, None),
            ("supervisor", TEAM, TEAM),
            ("other_supervisor", OTHER_TEAM, OTHER_TEAM),
            ("admin", None, None),
        ):
            person = PEOPLE[role]
            storage.create_user(
                db, person.id, first_name=person.first_name, username=None, language="en",
                role=role.removeprefix("other_"), team_id=team, now=NOW,  # type: ignore[arg-type]
            )  # fmt: skip
            storage.set_consent(db, person.id, NOW)
            if leads is not None:
                storage.add_lead(db, person.id, leads)
        try:
            yield b
        finally:
            await app.shutdown()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
    assert not b.errors, b.errors


def _texts(calls: list[Call]) -> str:
    return "\n".join(c.text or "" for c in calls if c.method in ("sendMessage", "sendPhoto"))


@pytest.mark.parametrize(("command", "serves"), COMMANDS, ids=[c for c, _ in COMMANDS])
@pytest.mark.parametrize("role", ROLES)
async def test_every_command_by_role(
    bot: Bot, command: str, serves: frozenset[str], role: str
) -> None:
    person = PEOPLE[role]
    calls = await bot.say(person, command)
    shown = _texts(calls)
    assert shown, f"{role} {command}: no answer"
    refusals = {t("admin.only", "en"), t("supervisor.only", "en")}
    if role == "stranger":
        assert shown == t("stranger", "en"), shown
        assert storage.get_user(bot.db, person.id) is None
        return
    assert (shown in refusals) is (role not in serves), shown
    assert t("stranger", "en") not in shown
    if command.startswith("/invite") and "start=" in shown:
        # A supervisor's link is for the team they lead, whatever id they name; admins name it.
        inv = storage.get_invite(bot.db, invite_code(calls[0]))
        assert inv is not None
        assert inv.team_id == {"supervisor": TEAM, "other_supervisor": OTHER_TEAM}.get(role, 1)


@pytest.mark.parametrize("button", BUTTONS, ids=[b.kind for b in BUTTONS])
@pytest.mark.parametrize("role", ROLES)
async def test_every_button_by_role(bot: Bot, button: Press, role: str) -> None:
    staff = PEOPLE["staff"]
    # What staff were shown: an answer with 👍/👎, and a drill question.
    [answer] = [c for c in await bot.say(staff, "收銀機當機") if c.method == "sendMessage"]
    drill = [c for c in await bot.say(staff, "/drill") if c.method == "sendMessage"]
    item = next(
        d.split(":")[2] for c in drill for row in c.params.get("reply_markup", {}).get(
            "inline_keyboard", []) for b in row if (d := b["callback_data"]).startswith("dr:a:")
    )  # fmt: skip
    question = next(r["id"] for r in bot.db.query("SELECT id FROM questions"))
    data = button.data({"staff": staff.id, "question": question, "item": item})
    person = PEOPLE[role]
    before = storage.get_user(bot.db, staff.id)
    # In a group everyone sees the buttons; pressing under staff's message there.
    shown_in = GROUP if role not in ("staff",) else None
    target = answer if shown_in is None else (await bot.say(staff, "/ask 收銀機當機", GROUP))[0]
    answered, _calls = await bot.press(person, target, data, shown_in)
    stale = plain("input.stale", "en")
    assert (answered != stale) is (role in button.acts_for), (role, data, answered)
    if role not in button.acts_for:
        assert storage.get_user(bot.db, staff.id) == before  # nothing about staff changed
    if role == "stranger":
        assert storage.get_user(bot.db, person.id) is None


async def test_forget_in_a_group_deletes_only_who_asked_and_only_when_they_confirm(
    bot: Bot,
) -> None:
    staff, sup = PEOPLE["staff"], PEOPLE["supervisor"]
    [confirm] = await bot.say(staff, "/forgetme", GROUP)
    answered, _ = await bot.press(sup, confirm, f"forget:yes:{staff.id}", GROUP)
    assert answered == plain("input.stale", "en")
    assert storage.get_user(bot.db, staff.id) is not None
    assert storage.get_user(bot.db, sup.id) is not None
    # An old button without the id (from before ids were carried) deletes nobody.
    answered, _ = await bot.press(staff, confirm, "forget:yes", GROUP)
    assert answered == plain("input.stale", "en")
    await bot.press(staff, confirm, f"forget:yes:{staff.id}", GROUP)
    assert storage.get_user(bot.db, staff.id) is None
    assert storage.get_user(bot.db, sup.id) is not None


def test_invite_limits_hold_under_concurrent_redemption(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    db = storage.open_db(path)
    team = storage.create_team(db, "T", NOW)
    limited = storage.create_invite(db, team.id, "staff", 1, NOW, days=7, max_uses=3)
    expiring = storage.create_invite(db, team.id, "staff", 1, NOW, days=1, max_uses=50)
    db.close()
    outcomes: list[tuple[str, str]] = []
    start = threading.Barrier(24)

    def redeem(code: str, when_days: float) -> None:
        own = storage.open_db(path)  # one connection per thread, as in several processes
        try:
            start.wait()
            outcome, _ = storage.redeem_invite(own, code, NOW + timedelta(days=when_days))
            outcomes.append((code, outcome))
        finally:
            own.close()

    threads = [threading.Thread(target=redeem, args=(limited.code, 0)) for _ in range(12)]
    threads += [
        threading.Thread(target=redeem, args=(expiring.code, 0.5 if n % 2 else 1.0))
        for n in range(12)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    ok = [code for code, outcome in outcomes if outcome == "ok"]
    assert ok.count(limited.code) == 3
    assert sorted(o for c, o in outcomes if c == limited.code).count("used_up") == 9
    assert ok.count(expiring.code) == 6  # only those before expiry
    db = storage.open_db(path)
    try:
        assert storage.get_invite(db, limited.code).uses == 3  # type: ignore[union-attr]
        assert storage.get_invite(db, expiring.code).uses == 6  # type: ignore[union-attr]
    finally:
        db.close()


@pytest.mark.parametrize(
    ("leads", "after"), [(False, "staff"), (True, "supervisor")], ids=["no team led", "leads"]
)
def test_admin_user_ids_is_the_truth_at_every_start(leads: bool, after: str) -> None:
    db = storage.open_db(None)
    try:
        team = storage.create_team(db, "T", NOW)
        for uid in (1, 2):
            storage.create_user(
                db, uid, first_name="A", username=None, language="en", role="admin",
                team_id=team.id, now=NOW,
            )  # fmt: skip
        if leads:
            storage.add_lead(db, 1, team.id)
        assert access.sync_admins(db, frozenset({2})) == 1
        demoted, kept = storage.get_user(db, 1), storage.get_user(db, 2)
        assert demoted is not None and kept is not None
        assert (demoted.role, demoted.team_id) == (after, team.id)
        assert kept.role == "admin"
        assert not access.may(demoted, "teams")
    finally:
        db.close()


async def test_a_removed_admin_loses_admin_rights_after_a_restart(tmp_path: Path) -> None:
    ada = PEOPLE["admin"]
    async with FakeBotApi() as server:
        for admins in ({ada.id}, set()):
            cfg = make_settings(server, tmp_path, admin_user_ids=frozenset(admins))
            app = build_application(
                cfg, clock=Clock(), library=shipped_library(), request=LocalRequest(server)
            )
            await app.initialize()
            assert app.post_init is not None
            await app.post_init(app)
            b = Bot(server, app)
            if admins:
                await b.say(ada, "/start")
                storage.set_consent(b.db, ada.id, NOW)
            shown = _texts(await b.say(ada, "/teams"))
            await app.shutdown()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
            assert (shown == t("admin.only", "en")) is (not admins), shown
