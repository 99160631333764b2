"""Ids as the database stores them: parse what a page, a form or a caller passes as an id.

Ids of rows (transactions, categories, rules, accounts) are UUIDs; what arrives from a widget
or a request is often their text, or something that is not an id at all (an empty cell, a
stale value). :func:`parse_uuid` turns one value into a :class:`uuid.UUID` or raises
:class:`InvalidId`, which names the field and the bad value ("category id must be a UUID,
got 'abc'"); :func:`parse_uuids` does the same for many values, each once, in order.

Callers translate :class:`InvalidId` into their own domain error where the user should read
something else (an id that does not parse is, to the user, a category that does not exist);
the :class:`InvalidId` stays attached as the cause, and is logged.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

MAX_SHOWN = 40
"""Longest representation of a bad value quoted in a message (longer ones are cut)."""


class InvalidId(ValueError):
    """A value that should be an id (a UUID) and is not; ``field`` and ``value`` say which."""

    def __init__(self, field: str, value: Any) -> None:
        self.field, self.value = field, value
        shown = repr(value) if len(repr(value)) <= MAX_SHOWN else repr(value)[:MAX_SHOWN - 1] + "…"
        super().__init__(f"{field} must be a UUID, got {shown}")


def parse_uuid(value: Any, field: str) -> uuid.UUID:
    """``value`` as a UUID (a :class:`uuid.UUID` as is, else its text parsed), or
    :class:`InvalidId` naming ``field`` ("category id") and the value."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidId(field, value) from None


def parse_uuids(values: Iterable[Any], field: str, *, skip_invalid: bool = False) -> list[uuid.UUID]:
    """``values`` as UUIDs, each once, in the given order.

    A value that is not a UUID raises :class:`InvalidId` (the first one found), or with
    ``skip_invalid`` is left out (and logged at debug level)."""
    out: dict[uuid.UUID, None] = {}
    for value in values:
        try:
            out[parse_uuid(value, field)] = None
        except InvalidId as exc:
            if not skip_invalid:
                raise
            log.debug("left out: %s", exc)
    return list(out)
