"""/unanswered end to end: a supervisor attaches a group to a card and the bot answers it from
then on (for anyone, after a restart too); dismissing; chatter never shown; who is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import storage
from tests.botharness import (
    ADMIN,
    Clock,
    Harness,
    buttons,
    invite_code,
    make_settings,
    running_app,
)
from tests.fakebot import Call, FakeBotApi, FakeUser

SUE = FakeUser(id=9101, first_name="Sue")  # supervisor of 信義店
SAM = FakeUser(id=9102, first_name="Sam", language_code="en")  # supervisor of 板橋店
AMY = FakeUser(id=9201, first_name="Amy")
BEN = FakeUser(id=9202, first_name="Ben")
CAT = FakeUser(id=9301, first_name="Cat")  # staff of 板橋店
NOBODY = FakeUser(id=9999, first_name="Eve")

QUESTION = "招牌燈不亮了怎麼辦"  # no card answers it (tier none) until it is attached
VARIANT = "門口招牌燈不亮"  # a near variant, asked by nobody before
CARD = "t33-peripheral-dead"
# No work question: chatter, "my feet hurt", weekend plans, a personal worry.
CHATTER = ("下班要不要一起去吃拉麵", "我腳好痛", "週末要去哪裡玩", "最近壓力好大 睡不著")


async def setup_teams(h: Harness) -> tuple[int, int]:
    """信義店 (Sue; Amy, Ben) and 板橋店 (Sam; Cat); returns their ids."""
    await h.join(ADMIN, None)
    ids = []
    for name, sup, staff in (("信義店", SUE, (AMY, BEN)), ("Pan 板橋店", SAM, (CAT,))):
        [made] = await h.say(ADMIN, f"/newteam {name}")
        ids.append(max(t.id for t in storage.list_teams(h.state.db)))
        await h.join(sup, invite_code(made))
        [inv] = await h.say(sup, "/invite")
        for user in staff:
            await h.join(user, invite_code(inv))
    return ids[0], ids[1]


def data_starting(call: Call, prefix: str) -> list[str]:
    return [d for _, d in buttons(call) if d.startswith(prefix)]


async def press_and_read(h: Harness, user: FakeUser, message: Call, data: str) -> Call:
    """Press a button that edits its message; return the edit."""
    await h.press(user, message, data)
    [edited] = await h.server.wait_for_reply(user.id)
    assert edited.method == "editMessageText", edited.method
    return edited


async def say_and_find(
    server: FakeBotApi, user: FakeUser, text: str, needle: str, wait: float = 5.0
) -> None:
    """Send `text` and wait for a reply containing `needle` (after a restart, a missed daily
    reminder may come first)."""
    before = len(server.sent_to(user.id))
    server.send_text(user, text)
    await server.wait_for(
        lambda s: any(needle in (c.text or "") for c in s.sent_to(user.id)[before:]), wait
    )


def card_title(h: Harness) -> str:
    return h.state.kb.cards[CARD].title.zh


async def test_attach_to_a_card_then_anyone_gets_that_card(tmp_path: Path) -> None:
    clock = Clock()
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            team_a, _team_b = await setup_teams(h)
            assert h.state.matcher.search(QUESTION).tier == "none"
            [none] = await h.say(AMY, QUESTION)
            assert "還沒有資料" in (none.text or "")
            clock.advance(minutes=5)
            await h.say(BEN, QUESTION + "？")
            for text in CHATTER:  # no work question: a kind word, nothing kept
                assert h.state.matcher.search(text).tier == "offtopic"
                await h.say(AMY, text)
            assert storage.count_rows(h.state.db, "questions", AMY.id) == 1  # only the first
            await h.say(CAT, "寵物可以進來嗎")  # another team's question

            # Sue's list: the two askings as one group, counts but no names, no chatter.
            [listing] = await h.say(SUE, "/unanswered")
            text = listing.text or ""
            assert QUESTION in text and "2 次・2 人" in text
            for hidden in (*CHATTER, "寵物", "Amy", "Ben"):
                assert hidden not in text
            [group_btn] = data_starting(listing, "un:g:")
            group = await press_and_read(h, SUE, listing, group_btn)
            qid = int(group_btn.split(":")[2])
            assert data_starting(group, "un:d:") == [f"un:d:{qid}"]

            # Browse to the card: tasks → activities → cards, then attach.
            tasks = await press_and_read(h, SUE, listing, f"un:t:{qid}")
            assert f"un:a:{qid}:T3" in data_starting(tasks, "un:a:")
            acts = await press_and_read(h, SUE, listing, f"un:a:{qid}:T3")
            assert f"un:c:{qid}:T3.3" in data_starting(acts, "un:c:")
            cards = await press_and_read(h, SUE, listing, f"un:c:{qid}:T3.3")
            assert f"un:at:{qid}:{CARD}" in data_starting(cards, "un:at:")
            done = await press_and_read(h, SUE, listing, f"un:at:{qid}:{CARD}")
            assert card_title(h) in (done.text or "") and QUESTION in (done.text or "")
            learned = storage.learned_aliases(h.state.db)
            assert {(a.card, a.team_id, a.created_by) for a in learned} == {(CARD, team_a, SUE.id)}
            assert [a.text for a in learned] == [QUESTION + "？"]  # one per folded wording

            # At once, without a restart: the same question, by someone else, gets the card;
            # a near variant nobody asked does too.
            for user, text in ((CAT, QUESTION), (AMY, VARIANT)):
                [reply] = await h.say(user, text)
                assert card_title(h) in (reply.text or ""), text
            # The group left Sue's list.
            [after] = await h.say(SUE, "/unanswered")
            assert QUESTION not in (after.text or "")

        # A new Application on the same database: the alias is learned again at start-up.
        async with running_app(server, settings, clock) as h2:
            await say_and_find(server, BEN, QUESTION, card_title(h2))
            assert h2.state.matcher.search(VARIANT).hits[0].card == CARD
            # /reload keeps what supervisors taught.
            # (Reloading builds a new matcher from the files: seconds on a busy machine.)
            await say_and_find(server, ADMIN, "/reload", "重新載入", wait=60)
            assert h2.state.matcher.search(QUESTION).hits[0].card == CARD


async def test_suggested_card_dismiss_and_what_is_listed(tmp_path: Path) -> None:
    clock = Clock()
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            await setup_teams(h)
            suggest = "機器壞了要找誰"
            assert h.state.matcher.search(suggest).tier == "suggest"
            # Amy does not follow the "did you mean"; Ben opens a card within a minute.
            await h.say(AMY, suggest)
            clock.advance(minutes=30)
            [offer] = await h.say(BEN, suggest)
            first_card = data_starting(offer, "card:")[0]
            clock.advance(minutes=1)
            await h.press(BEN, offer, first_card)
            await h.server.wait_for_reply(BEN.id)
            # A 👎 on an answer is listed too.
            clock.advance(minutes=1)
            answered = h.state.kb.cards["t33-pos-freeze"].title.zh
            [card_msg] = await h.say(AMY, answered)
            down = next(d for d in data_starting(card_msg, "fb:") if d.endswith(":-1"))
            await h.press(AMY, card_msg, down)

            [listing] = await h.say(SUE, "/unanswered")
            text = listing.text or ""
            assert f"「{suggest}」 — 1 次・1 人" in text and "建議沒被點開" in text
            assert f"「{answered}」" in text and "👎" in text
            assert text.index(answered) < text.index(suggest)  # newest first

            # The suggested card is offered as a button; dismiss instead.
            groups = data_starting(listing, "un:g:")
            g = groups[1]  # the older: the "did you mean"
            qid = int(g.split(":")[2])
            group = await press_and_read(h, SUE, listing, g)
            assert suggest in (group.text or "")
            assert data_starting(group, f"un:at:{qid}:")  # the card the bot suggested
            gone = await press_and_read(h, SUE, listing, f"un:d:{qid}")
            assert "略過" in (gone.text or "")
            [again] = await h.say(SUE, "/unanswered")
            assert suggest not in (again.text or "") and answered in (again.text or "")
            assert storage.learned_aliases(h.state.db) == []
            # The dismissed group's buttons are stale now.
            ack = await h.press(SUE, listing, f"un:at:{qid}:t11-fault-report")
            assert "過期" in (ack.params.get("text") or "")
            assert storage.learned_aliases(h.state.db) == []

            # The admin picks any team with buttons; Sam's team has Cat's question only.
            await h.say(CAT, QUESTION)
            [picker] = await h.say(ADMIN, "/unanswered")
            teams = data_starting(picker, "un:l:")
            assert len(teams) == 2
            team_b = await press_and_read(h, ADMIN, picker, teams[1])
            assert QUESTION in (team_b.text or "") and suggest not in (team_b.text or "")
            assert data_starting(team_b, "un:p:") == ["un:p:0"]  # back to the teams


async def test_who_is_refused_and_forged_buttons(tmp_path: Path) -> None:
    clock = Clock()
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            team_a, team_b = await setup_teams(h)
            await h.say(AMY, QUESTION)
            [listing] = await h.say(SUE, "/unanswered")
            qid = int(data_starting(listing, "un:g:")[0].split(":")[2])

            # The command: staff get the supervisors-only answer; a stranger the invite one.
            mine = {SUE.id: listing}  # a message of their own for each to press buttons under
            for user, expected in ((AMY, "只有主管"), (CAT, "只有主管"), (NOBODY, "邀請")):
                [reply] = await h.say(user, "/unanswered")
                assert expected in (reply.text or ""), user.first_name
                assert QUESTION not in (reply.text or "")
                mine[user.id] = reply
            # Sam sees his own team only: Amy's question is not there.
            [own] = await h.say(SAM, "/unanswered")
            assert QUESTION not in (own.text or "") and "Pan" in (own.text or "")
            mine[SAM.id] = own

            # Every button of Sue's team, pressed by staff, a stranger or the other team's
            # supervisor; and forged data pressed by Sue herself: all "expired", nothing done.
            team_buttons = [
                f"un:l:{team_a}:0",
                f"un:g:{qid}:0",
                f"un:t:{qid}",
                f"un:a:{qid}:T3",
                f"un:c:{qid}:T3.3",
                f"un:at:{qid}:{CARD}",
                f"un:d:{qid}",
                "un:p:0",
            ]
            forged = [
                "un:g:99999:0",
                f"un:at:{qid}:no-such-card",
                f"un:at:{qid}:../../etc",
                f"un:c:{qid}:T9.9",
                f"un:a:{qid}:T9",
                "un:l:abc:0",
                f"un:l:{team_b}:0",
                "un:l:99999:0",
                "un:p:-1",
                f"un:d:{qid}:1",
                "un:zz",
            ]
            table = [(u, d) for u in (AMY, CAT, NOBODY, SAM) for d in team_buttons]
            table = [(u, d) for u, d in table if not (u is SAM and d == "un:p:0")]
            table += [(SUE, d) for d in forged]
            sent_before = {u.id: len(server.sent_to(u.id)) for u in (AMY, CAT, NOBODY, SAM, SUE)}
            for user, data in table:
                ack = await h.press(user, mine[user.id], data)
                text = ack.params.get("text") or ""
                assert "過期" in text or "expired" in text.lower(), (user.first_name, data)
            await h.quiet()
            for uid, n in sent_before.items():
                assert server.sent_to(uid)[n:] == [], uid
            assert storage.learned_aliases(h.state.db) == []
            assert QUESTION in ((await h.say(SUE, "/unanswered"))[0].text or "")


@pytest.mark.parametrize("lang", ["en"])
async def test_english_supervisor(tmp_path: Path, lang: str) -> None:
    clock = Clock()
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            await setup_teams(h)
            await h.say(CAT, "who renews the fire extinguisher inspection")
            [listing] = await h.say(SAM, "/unanswered")
            text = listing.text or ""
            assert lang == "en" and "Unanswered questions" in text
            assert "fire extinguisher" in text and "Cat" not in text
