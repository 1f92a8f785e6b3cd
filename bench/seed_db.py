"""Seed a ShopCoach database the size of a large chain, with the project's own schema.

    # 10,000 users, 200 teams, 1,000,000 answers, 200,000 questions:
    .venv/bin/python bench/seed_db.py /tmp/shop-10k.db
    .venv/bin/python bench/seed_db.py /tmp/small.db --users 500 --answers 50000 --questions 10000

Every 50th user is the team's supervisor (led in team_leads). Answers come in drills of five over
the last 60 days, each with its FSRS card state; questions span the tiers the bot logs. The data is
random but reproducible (--seed). Other benches import `seed()`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import storage
from bot.storage import iso
from knowledge import drill as srs
from knowledge.loader import load_knowledge_or_raise

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Taipei
NAMES = [
    "怡君",
    "雅婷",
    "家豪",
    "志明",
    "淑芬",
    "冠宇",
    "佳穎",
    "承翰",
    "詩涵",
    "宗翰",
    "Amy",
    "Ben",
    "Chloe",
    "David",
    "Emma",
]
TIERS = ("answer",) * 16 + ("suggest",) * 2 + ("none",) * 2


def seed(
    path: Path,
    *,
    users: int = 10_000,
    teams: int = 200,
    answers: int = 1_000_000,
    questions: int = 200_000,
    rng_seed: int = 1,
    now: datetime = NOW,
) -> dict[str, int]:
    """Create `path` (must not exist) and fill it; returns the row counts."""
    rng = random.Random(rng_seed)
    kb = load_knowledge_or_raise()
    qids = sorted(kb.questions)
    cards = sorted(kb.cards)
    db = storage.open_db(path)
    try:
        conn = db.conn
        with conn:
            conn.executemany(
                "INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)",
                [
                    (t, f"門市 {t:03d}", iso(now - timedelta(days=400)))
                    for t in range(1, teams + 1)
                ],
            )
            user_rows = []
            leads = []
            for n in range(users):
                uid = 100_000 + n
                team = n % teams + 1
                role = "supervisor" if n < teams else "staff"
                if role == "supervisor":
                    leads.append((uid, team))
                name = f"{rng.choice(NAMES)}{n}"
                consent = iso(now - timedelta(days=rng.randint(61, 300)))
                user_rows.append((uid, name, f"u{uid}", "zh-TW", role, team, consent, 1, consent))
            conn.executemany(
                """INSERT INTO users (id, first_name, username, language, role, team_id,
                   consent_at, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                user_rows,
            )
            conn.executemany("INSERT INTO team_leads (user_id, team_id) VALUES (?, ?)", leads)
            uids = [r[0] for r in user_rows]
            team_of = {r[0]: r[5] for r in user_rows}

            # Drills of five answers each, spread over the last 60 days.
            per_drill = 5
            n_drills = answers // per_drill
            drill_rows, item_rows = [], []
            last: dict[tuple[int, str], tuple[datetime, bool]] = {}
            item_id = 0
            for d in range(1, n_drills + 1):
                uid = uids[d % len(uids)]
                started = now - timedelta(days=rng.random() * 60)
                finished = started + timedelta(seconds=rng.randint(60, 300))
                drill_rows.append((d, uid, None, "done", iso(started), iso(finished)))
                for pos in range(per_drill):
                    item_id += 1
                    qid = rng.choice(qids)
                    q = kb.questions[qid]
                    correct = rng.random() < 0.75
                    at = started + timedelta(seconds=30 * (pos + 1))
                    chosen = q.correct_index if correct else (q.correct_index + 1) % len(q.options)
                    item_rows.append(
                        (item_id, d, uid, pos, qid, q.activity, "0,1,2,3", uid, 1, iso(at),
                         iso(at), chosen, int(correct), 3 if correct else 1)
                    )  # fmt: skip
                    prev = last.get((uid, qid))
                    if prev is None or prev[0] < at:
                        last[(uid, qid)] = (at, correct)
            conn.executemany(
                """INSERT INTO drills (id, user_id, activity, status, started_at, finished_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                drill_rows,
            )
            conn.executemany(
                """INSERT INTO drill_items (id, drill_id, user_id, position, question_id,
                   activity, option_order, chat_id, message_id, sent_at, answered_at, chosen,
                   correct, rating) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                item_rows,
            )
            # FSRS state per (user, question): one real review from the last answer.
            srs_rows = []
            for (uid, qid), (at, correct) in last.items():
                state = srs.review(None, qid, srs.Rating.Good if correct else srs.Rating.Again, at)
                srs_rows.append((uid, qid, state.card_json, iso(state.due)))
            conn.executemany(
                "INSERT INTO srs (user_id, question_id, card_json, due) VALUES (?, ?, ?, ?)",
                srs_rows,
            )
            q_rows = []
            for i in range(questions):
                uid = uids[rng.randrange(len(uids))]
                tier = rng.choice(TIERS)
                card = rng.choice(cards) if tier != "none" else None
                act = kb.cards[card].activity if card else None
                at = now - timedelta(days=rng.random() * 60)
                fb = rng.choice((None, None, None, 1, -1))
                q_rows.append(
                    (uid, team_of[uid], f"問題 {i % 5000} 怎麼處理", act, card, 50.0, tier, fb,
                     iso(at))
                )  # fmt: skip
            conn.executemany(
                """INSERT INTO questions (user_id, team_id, text, activity, card, score, tier,
                   feedback, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                q_rows,
            )
        db.execute("ANALYZE")
        return {
            "teams": teams,
            "users": users,
            "drills": len(drill_rows),
            "answers": len(item_rows),
            "srs": len(srs_rows),
            "questions": len(q_rows),
        }
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--questions", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.path.exists():
        parser.error(f"{args.path} exists; give a new file")
    start = time.perf_counter()
    counts = seed(
        args.path,
        users=args.users,
        teams=args.teams,
        answers=args.answers,
        questions=args.questions,
        rng_seed=args.seed,
    )
    took = time.perf_counter() - start
    size = args.path.stat().st_size / 1e6
    print(f"seeded {args.path} in {took:.1f} s ({size:.0f} MB): {counts}")
    print(f"reproduce: .venv/bin/python bench/seed_db.py {args.path}")


if __name__ == "__main__":
    main()
