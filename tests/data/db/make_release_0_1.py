"""Rebuild release-0.1.sql: a small database written by the 0.1 release's own storage code.

Run once with that release's module, not the current package, e.g.
    git show 50339b2:bot/storage.py > /tmp/storage_0_1.py
    python tests/data/db/make_release_0_1.py /tmp/storage_0_1.py tests/data/db/release-0.1.sql
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def main(module_path: str, out: str) -> None:
    spec = importlib.util.spec_from_file_location("storage_0_1", module_path)
    assert spec is not None and spec.loader is not None
    st = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = st  # dataclasses look their module up there
    spec.loader.exec_module(st)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shop.db"
        db = st.open_db(path)
        team = st.create_team(db, "台北信義店", T0)
        st.create_user(
            db,
            101,
            first_name="Sue",
            username="sue_tw",
            language="zh-TW",
            role="supervisor",
            team_id=team.id,
            now=T0,
        )
        st.create_user(
            db,
            102,
            first_name="Amy",
            username=None,
            language="en",
            role="staff",
            team_id=team.id,
            now=T0,
        )
        for uid in (101, 102):
            st.set_consent(db, uid, T0)
        st.create_invite(db, team.id, "staff", 101, T0, days=7, max_uses=3)
        asked = st.log_question(
            db,
            102,
            team.id,
            "顧客要退貨怎麼辦",
            activity="T3.3",
            card="T3.3-return",
            score=91.5,
            tier="answer",
            now=T0 + timedelta(minutes=1),
        )
        st.set_feedback(db, asked, 102, 1)
        st.log_question(
            db,
            102,
            team.id,
            "where is the mop",
            activity=None,
            card=None,
            score=None,
            tier="none",
            now=T0 + timedelta(minutes=2),
        )
        st.record_card_view(db, 102, "T1.1-greeting", T0 + timedelta(minutes=3))
        drill = st.start_drill(
            db,
            102,
            [("T3.3-q1", "T3.3", (2, 0, 1, 3)), ("T1.1-q4", "T1.1", (0, 1, 2, 3))],
            T0 + timedelta(minutes=5),
        )
        for n, (chosen, correct) in enumerate([(2, True), (1, False)]):
            item = st.next_item(db, drill.id)
            at = T0 + timedelta(minutes=6 + n)
            st.mark_sent(db, item.id, 102, 500 + n, at)
            st.record_answer(
                db,
                item,
                chosen,
                correct,
                3 if correct else 1,
                at + timedelta(seconds=20),
                f'{{"card_id": {n}}}',
                at + timedelta(days=1 + n),
            )
        st.finish_drill(db, drill.id, "done", T0 + timedelta(minutes=8))
        st.set_reminder(db, 102, time="08:45", days=(1, 3, 5), enabled=True)
        st.mark_reminder_sent(db, 102, "2026-03-02")
        db.close()
        con = sqlite3.connect(path)
        dump = "\n".join(con.iterdump())
        con.close()
    header = (
        "-- A database written by ShopCoach 0.1 (schema 0002_drills_srs_reminders),\n"
        "-- made by make_release_0_1.py with that release's bot/storage.py. Do not edit.\n"
    )
    Path(out).write_text(header + dump + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
