"""Command-line interface: `python -m bot run | check-knowledge | ask | match | eval | aliases |
report | export | backup | restore | walk-stats`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings
from bot.texts import both, plain

EXIT_OK, EXIT_PROBLEMS, EXIT_CONFIG = 0, 1, 2


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def cmd_check_knowledge(args: argparse.Namespace) -> int:
    from knowledge.editorial import check_knowledge, format_quiz

    extra = args.extra if args.extra is not None else _settings().extra_knowledge_dir
    checked = check_knowledge(extra)
    for warning in checked.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for problem in checked.problems:
        print(problem)
    if not checked.problems:
        print(f"ok: {checked.kb.summary()}")
    # The figures also when the check fails: they say how far the content is from the limits.
    print(format_quiz(checked.quiz, ids=args.quiz))
    print(checked.counts())
    learned = _learned_alias_count()
    if learned is not None:
        print(plain("cli.aliases.count", "en", n=learned))
    if checked.problems:
        print(f"{len(checked.problems)} problem(s)", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def _learned_alias_count() -> int | None:
    """How many aliases supervisors attached, when a database is configured and exists."""
    from bot import storage

    try:
        path = load_settings().database_path
    except SettingsError:
        return None
    aliases = storage.read_learned_aliases(path)
    return None if aliases is None else len(aliases)


def cmd_aliases(_args: argparse.Namespace) -> int:
    """List the aliases supervisors attached to cards with /unanswered (from the database)."""
    from bot import storage

    aliases = storage.read_learned_aliases(_settings().database_path)
    if not aliases:
        print(both("cli.aliases.none"))
        return EXIT_OK
    for a in aliases:
        team = "-" if a.team_id is None else a.team_id
        print(f"{a.id}\t{a.created_at}\tteam={team}\tcard={a.card}\t{a.text}")
    print(plain("cli.aliases.count", "en", n=len(aliases)))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.telegram_bot_token.strip():
        print(both("cli.no_token"), file=sys.stderr)
        return EXIT_CONFIG
    from bot.app import run_bot

    return run_bot(
        settings,
        webhook_url=args.webhook_url,
        listen=args.listen,
        port=args.port,
        secret_token=args.secret_token,
    )


def _load_matcher(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.loader import KnowledgeError, load_knowledge_or_raise
    from knowledge.matcher import Matcher

    try:
        kb = load_knowledge_or_raise(settings.extra_knowledge_dir)
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(EXIT_PROBLEMS) from None
    return kb, Matcher(kb)


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings()
    kb, matcher = _load_matcher(settings)
    lang = "en" if args.lang == "en" else "zh"
    result = matcher.search(" ".join(args.text), k=args.k)
    print(f"tier: {result.tier}")
    for n, hit in enumerate(result.hits, 1):
        act = kb.activities[hit.activity]
        title = kb.cards[hit.card].title.get(lang) if hit.card else act.title.get(lang)
        print(
            f"{n}. {title}  [{hit.activity} {act.title.get(lang)}]  "
            f"card={hit.card or '-'}  score={hit.score:.1f}"
        )
    return EXIT_OK


def cmd_match(args: argparse.Namespace) -> int:
    settings = _settings()
    _kb, matcher = _load_matcher(settings)
    # Line by line and flushed, so a caller gets each answer before sending the next line.
    for raw in iter(sys.stdin.readline, ""):
        line = raw.strip()
        if not line:
            continue
        try:
            q = json.loads(line)["q"]
            if not isinstance(q, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            print(
                json.dumps(
                    {"error": 'expected a JSON object like {"q": "..."}', "line": line[:200]},
                    ensure_ascii=False,
                ),
                flush=True,
            )
            continue
        result = matcher.search(q, k=args.k)
        print(json.dumps({"q": q, **result.as_dict()}, ensure_ascii=False), flush=True)
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from knowledge.evaluate import evaluate, read_jsonl

    settings = _settings()
    _kb, matcher = _load_matcher(settings)
    rows = [row for name in args.file for row in read_jsonl(Path(name), split=args.split)]
    report = evaluate(matcher.search, rows)
    print(report.format())
    if args.misses:
        for q, gold, got, tier in report.misses:
            print(f"miss: {q}  gold={','.join(gold) or '-'}  got={','.join(got) or '-'}  {tier}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from bot import report_files, storage
    from bot.texts import plain
    from knowledge.loader import KnowledgeError, load_knowledge_or_raise

    settings = _settings()
    lang = args.lang or settings.default_language
    if (args.team is None) == (args.member is None):
        print(plain("report.usage", lang), file=sys.stderr)
        return EXIT_CONFIG
    path = args.db or settings.database_path
    if not Path(path).is_file():
        print(f"{path}: no such database", file=sys.stderr)
        return EXIT_CONFIG
    try:
        kb = load_knowledge_or_raise(settings.extra_knowledge_dir)
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_PROBLEMS
    db = storage.open_db(path)
    try:
        now = storage.utcnow()
        if args.team is not None:
            written = report_files.team_charts_to(
                db, kb, args.team, args.out, lang, now, settings.tz
            )
        else:
            written = report_files.member_chart_to(
                db, kb, args.member, args.out, lang, now, settings.tz
            )
    finally:
        db.close()
    if written.problem:
        print(plain(written.problem, lang, **(written.detail or {})), file=sys.stderr)
        return EXIT_PROBLEMS
    for out in written.paths:
        print(plain("report.wrote", lang, path=out))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from bot import exporting, progress, storage
    from bot.storage import utcnow
    from knowledge.loader import KnowledgeError, load_knowledge_or_raise

    settings = _settings()
    now = utcnow()
    today = progress.local_day(now, settings.tz)
    days = []
    for value in (args.date_from, args.date_to):
        day = exporting.parse_date(value) if value else None
        if value and day is None:
            print(both("export.cli_bad_date", value=value), file=sys.stderr)
            return EXIT_CONFIG
        days.append(day)
    first, last = days
    rng: exporting.DateRange | str
    if first is None:
        rng = exporting.default_range(last or today)
    else:
        rng = exporting.make_range(first, last or today)
    if isinstance(rng, str):
        print(both(rng), file=sys.stderr)
        return EXIT_CONFIG
    if not settings.database_path.is_file():
        print(both("backup.no_database", path=str(settings.database_path)), file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        kb = load_knowledge_or_raise(settings.extra_knowledge_dir)
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        db = storage.open_db(settings.database_path)
    except storage.SchemaTooNewError as exc:
        print(both("cli.schema_too_new", detail=str(exc)), file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        teams = exporting.find_team(db, args.team)
        if len(teams) != 1:
            key = "export.cli_many_teams" if teams else "export.cli_no_team"
            ids = ", ".join(str(t.id) for t in teams)
            print(both(key, team=args.team, ids=ids), file=sys.stderr)
            return EXIT_PROBLEMS
        export = exporting.build_export(db, kb, teams[0], rng, settings.tz, now, args.lang)
    finally:
        db.close()
    for f, path in zip(export.files, exporting.write_files(export, args.out), strict=True):
        print(both("export.cli_wrote", path=str(path), rows=f.rows))
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:  # noqa: ARG001
    from bot import backups
    from bot.render.export import size_text
    from bot.storage import utcnow

    s = _settings()
    try:
        made = backups.take_backup(s.database_path, s.backup_dir, s.backup_keep, utcnow(), s.tz)
    except backups.BackupError as exc:
        print(both(exc.key, **exc.values), file=sys.stderr)
        return EXIT_PROBLEMS
    for lang in ("zh-TW", "en"):
        removed = (
            plain("backup.cli_removed", lang, n=len(made.removed), keep=s.backup_keep)
            if made.removed
            else ""
        )
        print(
            plain(
                "backup.cli_done",
                lang,
                path=str(made.path),
                size=size_text(made.size),
                check=made.check,
                removed=removed,
            )
        )
    return EXIT_OK if made.ok else EXIT_PROBLEMS


def cmd_restore(args: argparse.Namespace) -> int:
    from bot import backups
    from bot.storage import utcnow

    s = _settings()
    try:
        done = backups.restore(args.file, s.database_path, utcnow(), s.tz)
    except backups.BackupError as exc:
        print(both(exc.key, **exc.values), file=sys.stderr)
        return EXIT_PROBLEMS
    for lang in ("zh-TW", "en"):
        kept = plain("restore.kept", lang, path=str(done.kept)) + "\n" if done.kept else ""
        upgraded = (
            plain("restore.upgraded", lang, names=", ".join(done.upgraded)) + "\n"
            if done.upgraded
            else ""
        )
        print(
            plain(
                "restore.done",
                lang,
                source=str(done.source),
                database=str(done.database),
                schema=done.schema,
                kept=kept,
                upgraded=upgraded,
            )
        )
    return EXIT_OK


def cmd_walk_stats(args: argparse.Namespace) -> int:
    """Per walkable card, which step fixes it most often (for trainers; nothing reorders)."""
    from bot import outcomes, storage
    from bot.render.walk import stats_lines

    settings = _settings()
    kb, _matcher = _load_matcher(settings)
    db = storage.open_db(settings.database_path)
    try:
        stats = outcomes.walk_stats(db, kb)
    finally:
        db.close()
    lang = "en" if args.lang == "en" else "zh-TW"
    print("\n".join(stats_lines(kb, stats, lang)).rstrip())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopcoach", description=both("cli.description"))
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (long polling, or a webhook server)")
    run.add_argument("--webhook-url", help="public HTTPS URL Telegram posts updates to")
    run.add_argument("--listen", default="127.0.0.1", help="address the webhook server binds")
    run.add_argument("--port", type=int, default=8443, help="port the webhook server binds")
    run.add_argument("--secret-token", help="webhook secret (default: WEBHOOK_SECRET setting)")
    run.set_defaults(func=cmd_run)

    chk = sub.add_parser("check-knowledge", help="check the knowledge files")
    chk.add_argument("--extra", type=Path, default=None, help="also check this folder")
    chk.add_argument(
        "--quiz", action="store_true", help="also list the quiz questions behind each figure"
    )
    chk.set_defaults(func=cmd_check_knowledge)

    ask = sub.add_parser("ask", help="show the best matches for a question")
    ask.add_argument("text", nargs="+")
    ask.add_argument("-k", type=int, default=5)
    ask.add_argument("--lang", choices=["zh-TW", "en"], default="zh-TW")
    ask.set_defaults(func=cmd_ask)

    match = sub.add_parser("match", help="match JSON lines from stdin, one JSON line out each")
    match.add_argument("--jsonl", action="store_true", required=True)
    match.add_argument("-k", type=int, default=5)
    match.set_defaults(func=cmd_match)

    ev = sub.add_parser("eval", help="accuracy of the matcher on a labelled JSONL file")
    ev.add_argument("file", nargs="+", help="one or more labelled JSONL files, read as one set")
    ev.add_argument("--split", choices=["dev", "test", "all"], default="all")
    ev.add_argument("--misses", action="store_true", help="also list the lines it got wrong")
    ev.set_defaults(func=cmd_eval)

    rep = sub.add_parser("report", help="write /team's heatmap or a member's chart as PNG")
    rep.add_argument("--team", help="team name or id (several images: OUT-1.png, OUT-2.png …)")
    rep.add_argument("--member", type=int, help="user id: their 4-week trend chart")
    rep.add_argument("--out", type=Path, required=True, help="PNG file to write")
    rep.add_argument("--lang", choices=["zh-TW", "en"], default=None)
    rep.add_argument("--db", type=Path, default=None, help="database (default: DATABASE_PATH)")
    rep.set_defaults(func=cmd_report)

    ex = sub.add_parser("export", help="write a team's CSV files (answers, questions, evidence)")
    ex.add_argument("--team", required=True, help="team id or its full name")
    ex.add_argument("--from", dest="date_from", help="first day YYYY-MM-DD (default: 30 days)")
    ex.add_argument("--to", dest="date_to", help="last day YYYY-MM-DD, included (default: today)")
    ex.add_argument("--out", type=Path, default=Path("."), help="folder for the files")
    ex.add_argument(
        "--lang", choices=["both", "zh-TW", "en"], default="both", help="header language"
    )
    ex.set_defaults(func=cmd_export)

    bk = sub.add_parser("backup", help="back up the database now (safe while the bot runs)")
    bk.set_defaults(func=cmd_backup)

    rs = sub.add_parser("restore", help="replace the database with a backup (bot stopped)")
    rs.add_argument("file", type=Path, help="the backup file to restore")
    rs.set_defaults(func=cmd_restore)
    al = sub.add_parser("aliases", help="list the aliases supervisors attached to cards")
    al.set_defaults(func=cmd_aliases)
    ws = sub.add_parser("walk-stats", help="which step of each walk-through fixes it most often")
    ws.add_argument("--lang", choices=["zh-TW", "en"], default="zh-TW")
    ws.set_defaults(func=cmd_walk_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING
    )
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
