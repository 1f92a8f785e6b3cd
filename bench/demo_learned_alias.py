"""Attach an unanswered question to a card and ask again: the run shown in the README.

    .venv/bin/python bench/demo_learned_alias.py /tmp/demo.db

Uses the services the bot's handlers call (no Telegram): staff ask, the supervisor attaches the
group with /unanswered's service, others ask again, then a "restart" reads the database.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import asking, storage, unanswered
from knowledge.library import load_library

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def main() -> None:
    path = Path(sys.argv[1])
    path.unlink(missing_ok=True)
    library = load_library()
    db = storage.open_db(path)
    team = storage.create_team(db, "信義店", NOW)
    other = storage.create_team(db, "板橋店", NOW)
    for uid, role, tid in ((1, "supervisor", team.id), (11, "staff", team.id),
                           (12, "staff", team.id), (21, "staff", other.id)):  # fmt: skip
        storage.create_user(db, uid, first_name=f"u{uid}", username=None, language="zh-TW",
                            role=role, team_id=tid, now=NOW)  # fmt: skip
    storage.add_lead(db, 1, team.id)
    people = [storage.get_user(db, uid) for uid in (1, 11, 12, 21)]
    assert all(people)
    sue, amy, ben, cat = people  # type: ignore[misc]

    def ask(who: storage.User, text: str, lib: object = None) -> None:
        asked = asking.ask(db, lib or library, who, text, NOW)  # type: ignore[arg-type]
        card = asked.card.id if asked.card else "-"
        print(f"  {who.first_name} asks {text!r}: {asked.kind}, card {card}")

    print("before:")
    ask(amy, "招牌燈不亮了怎麼辦")
    ask(ben, "招牌燈不亮了，怎麼辦？")
    page = unanswered.page_of(db, library, sue, team.id, 0, NOW + timedelta(minutes=1))
    assert page is not None
    g = page.groups[0]
    print(f"/unanswered: {page.total} group: {g.wordings} asked {g.count}x by {g.people} people")
    done = unanswered.attach(db, library, sue, g.id, "t33-peripheral-dead", NOW)
    assert done is not None
    library = done[1]
    print("attached to t33-peripheral-dead; after:")
    ask(cat, "招牌燈不亮了怎麼辦")
    ask(amy, "門口招牌燈不亮")
    ask(cat, "招牌的燈不亮了")
    db.close()
    print("restart (a new library from the files + the database):")
    db = storage.open_db(path)
    library = unanswered.with_learned(db, load_library())
    ask(ben, "招牌燈不亮了怎麼辦")
    ask(ben, "門口招牌燈不亮")
    db.close()


if __name__ == "__main__":
    main()
