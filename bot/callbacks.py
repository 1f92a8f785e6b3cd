"""Button data: one small codec per button kind, so no handler splits strings by hand.

Callback data is never trusted: a codec checks the shape (prefix, field count, ASCII-only
digits within bounds, choices from a fixed set); handlers then check ids against the
database and the knowledge. Data that fails here gets the same short "expired" answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# SQLite integers are signed 64-bit; ids past that can only be forged.
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")
_KEY = re.compile(r"[A-Za-z0-9._-]{1,40}")


def parse_int(text: str, lo: int = 0, hi: int = MAX_ID) -> int | None:
    """An ASCII-digit integer within [lo, hi], else None (`²` and `٢` are not digits here)."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


Shape = str | tuple[str, ...]


@dataclass(frozen=True)
class Kind:
    """A button kind: `prefix[:tag][:field…]`, with the tags it knows and their field shapes.

    A field shape is "int" (an id), "key" (a short id from the knowledge), or a tuple of
    the allowed values. The tag "" is the form with fields straight after the prefix.
    """

    prefix: str
    tags: dict[str, tuple[Shape, ...]]

    @property
    def pattern(self) -> str:
        """The regular expression CallbackQueryHandler routes this kind by."""
        return f"^{re.escape(self.prefix)}(:|$)"

    def encode(self, tag: str, *fields: object) -> str:
        data = ":".join([self.prefix, *([tag] if tag else []), *map(str, fields)])
        assert len(data.encode()) <= 64, data  # Telegram's limit
        return data

    def decode(self, data: str | None) -> tuple[str, tuple[int | str, ...]] | None:
        """(tag, fields) for well-formed data of this kind, else None."""
        parts = (data or "").split(":")
        if parts[0] != self.prefix or len(parts) < 2:
            return None
        if parts[1] in self.tags and parts[1]:
            tag, raw = parts[1], parts[2:]
        elif "" in self.tags:
            tag, raw = "", parts[1:]
        else:
            return None
        shapes = self.tags[tag]
        if len(raw) != len(shapes):
            return None
        fields: list[int | str] = []
        for shape, text in zip(shapes, raw, strict=True):
            value: int | str | None
            if shape == "int":
                value = parse_int(text)
            elif shape == "key":
                value = text if _KEY.fullmatch(text) else None
            else:
                value = text if text in shape else None
            if value is None:
                return None
            fields.append(value)
        return tag, tuple(fields)


# Buttons that act on the account of the person they were shown to end with that person's
# id ("owner"): in a group, another member's tap is refused instead of acting on the tapper.
CONSENT = Kind("consent", {"yes": ("int",), "no": ("int",)})
FORGET = Kind("forget", {"yes": ("int",), "no": ("int",)})
LANG = Kind("lang", {"zh-TW": ("int",), "en": ("int",)})
CARD = Kind("card", {"": ("key",)})
FEEDBACK = Kind("fb", {"": ("int", ("1", "-1"))})
BROWSE = Kind("br", {"root": (), "t": ("key",), "a": ("key",), "i": ("key",)})
DRILL = Kind("dr", {"s": (), "p": ("key",), "a": ("int", ("0", "1", "2", "3"))})
REMINDER_TIMES = ("08:00", "09:30", "12:30", "14:00", "17:00")
SETTINGS = Kind(
    "set",
    {
        "on": ("int",),
        "off": ("int",),
        "t": (tuple(tm.replace(":", "") for tm in REMINDER_TIMES), "int"),
        "d": (("wk", "all", "we"), "int"),
        "g": (("on", "off"), "int"),  # the weekly digest (supervisors)
    },
)
# Members and links: revoke an invite (its row id); remove a member — pick a team, pick a
# member (team, user), confirm (team, user), or cancel.
INVITE = Kind("inv", {"r": ("int",)})
REMOVE = Kind("rm", {"t": ("int",), "u": ("int", "int"), "y": ("int", "int"), "n": ()})
# Supervisor views: tm:t:<team id> opens a team, tm:p:<page> pages the team list,
# tm:m:<user id> opens a member.
TEAM = Kind("tm", {"t": ("int",), "p": ("int",), "m": ("int",)})
# /export: a team (t: team id) or a page of teams (p: page), with the range as yyyymmdd.
EXPORT = Kind("ex", {"t": ("int", "int", "int"), "p": ("int", "int", "int")})
# /unanswered: team picker page, a team's list page, a group (question id; list page to go
# back to), attach browse (tasks, a task's activities, an activity's cards), attach, dismiss.
UNANSWERED = Kind(
    "un",
    {
        "p": ("int",),
        "l": ("int", "int"),
        "g": ("int", "int"),
        "t": ("int",),
        "a": ("int", "key"),
        "c": ("int", "key"),
        "at": ("int", "key"),
        "d": ("int",),
    },
)
# Guided troubleshooting: go (start on a card), re (continue the open one), nw (drop the open
# one and start the card), f/n/h (fixed, next, help: walk, turn), a (an answer: walk, turn,
# index), sk (skip the photo), s (when it started), take (a supervisor takes the fault).
WALK_SINCE = ("15m", "1h", "day", "unk")
WALK = Kind(
    "wk",
    {
        "go": ("key",),
        "re": ("int",),
        "nw": ("int", "key"),
        "f": ("int", "int"),
        "n": ("int", "int"),
        "h": ("int", "int"),
        "a": ("int", "int", ("0", "1", "2", "3")),
        "sk": ("int",),
        "s": ("int", WALK_SINCE),
        "take": ("int",),
    },
)


def owner(decoded: tuple[str, tuple[int | str, ...]]) -> int:
    """The user id an owned button (CONSENT, FORGET, LANG, SETTINGS) was shown to."""
    return int(decoded[1][-1])


# The weekly digest's "team drill" button: team id, activity.
DIGEST = Kind("dg", {"d": ("int", "key")})

# Every kind, for tests that walk them all.
KINDS = tuple(v for v in list(globals().values()) if isinstance(v, Kind))
