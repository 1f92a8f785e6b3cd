"""Command-line interface: `python -m bot run | check-knowledge | ask | match | eval |
walk-stats`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings
from bot.texts import both

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
    if checked.problems:
        print(f"{len(checked.problems)} problem(s)", file=sys.stderr)
        return EXIT_PROBLEMS
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


def cmd_walk_stats(args: argparse.Namespace) -> int:
    """Per walkable card, which step fixes it most often (for trainers; nothing reorders)."""
    from bot import storage, walking
    from bot.render.walk import stats_lines

    settings = _settings()
    kb, _matcher = _load_matcher(settings)
    db = storage.open_db(settings.database_path)
    try:
        stats = walking.walk_stats(db, kb)
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
