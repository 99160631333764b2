"""The regular expressions users type into rules: compiled only when they are safe.

A pattern must have at most :data:`MAX_REGEX` characters, compile with Python's ``re``
(case-insensitive), and must not repeat a repetition (``(a+)+``, ``(\\w*\\s?)*``): nested
unbounded quantifiers backtrack exponentially on near-misses. The check walks the parse tree
of ``re``'s own parser, so it judges exactly what ``re`` will run. (Overlapping alternatives
under a quantifier, like ``(a|a)*``, are not detected; rule texts are also cut to 1,000
characters before matching, which bounds the damage.)
"""

from __future__ import annotations

import logging
import re
import re._constants as sre_c  # noqa: N813 - the regex parser's opcodes
import re._parser as sre_parse
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

MAX_REGEX = 200
_REPEATS = {sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", sre_c.MAX_REPEAT)}


class RuleError(ValueError):
    """A rule that cannot be saved; the message says what to fix."""


def check_regex(pattern: str) -> re.Pattern[str]:
    """Compile a user's regular expression or raise :class:`RuleError` saying why not."""
    if not pattern:
        raise RuleError("the regular expression is empty")
    if len(pattern) > MAX_REGEX:
        raise RuleError(f"the regular expression is too long ({len(pattern)} characters, "
                        f"at most {MAX_REGEX})")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise RuleError(f"invalid regular expression {pattern!r}: {exc.msg}{where}") from None
    if _nested_repeat(parsed):
        raise RuleError(f"the regular expression {pattern!r} repeats a repetition (like (a+)+), which can "
                        "take exponential time; simplify it")
    return compiled


def _children(av: Any) -> Iterable[Any]:
    """The sub-patterns nested anywhere in an opcode's argument."""
    if isinstance(av, sre_parse.SubPattern):
        yield av
    elif isinstance(av, tuple | list):
        for item in av:
            yield from _children(item)


def _has_repeat(pattern: Any) -> bool:
    for op, av in pattern:
        if op in _REPEATS and av[1] > 1:
            return True
        if any(_has_repeat(child) for child in _children(av)):
            return True
    return False


def _nested_repeat(pattern: Any) -> bool:
    for op, av in pattern:
        if op in _REPEATS:
            if av[1] > 1 and _has_repeat(av[2]):
                return True
            if _nested_repeat(av[2]):
                return True
        elif any(_nested_repeat(child) for child in _children(av)):
            return True
    return False
