"""Which column is the date, the amount, the description ...: names first, values second.

Every column gets a value profile (share of dates, amounts, ISO currency codes, debit/credit
markers, pending words) and header scores (:mod:`core.importing.csv_headers`). Roles are
assigned greedily: date, amount (or a debit/credit pair), flag, currency, balance,
description, payee, reference, status, account. Headerless files rely on the profiles
alone. ``confidence`` starts at 1 and is multiplied down for every guess (see
:func:`detect_roles`). A caller's ``mapping`` replaces detection for the roles it names.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from core.importing.csv_headers import header_scores, normalize_header
from core.importing.csv_layout import Layout
from core.importing.csv_values import looks_like_amount
from core.importing.dates import classify
from core.importing.vocab import FLAG_WORDS, ISO_CURRENCIES, PENDING_WORDS, SKIP_STATUS_WORDS

log = logging.getLogger(__name__)

_PROFILE_ROWS = 1000
_ID_LIKE = re.compile(r"^[+-]?\d{6,}$")


@dataclass
class Profile:
    """What the values of one column look like (shares are of non-empty values)."""

    fill: float = 0.0
    dates: float = 0.0
    amounts: float = 0.0
    ids: float = 0.0
    negatives: bool = False
    currencies: float = 0.0
    flags: float = 0.0
    flag_classes: frozenset[str] = frozenset()
    status_words: bool = False
    text: float = 0.0
    avg_len: float = 0.0
    distinct: float = 0.0
    constant: str | None = None


@dataclass
class Roles:
    """Column indexes per role (``description`` may join several columns)."""

    columns: dict[str, int] = field(default_factory=dict)
    description: list[int] = field(default_factory=list)
    confidence: float = 1.0
    notes: list[str] = field(default_factory=list)
    flag_orientation_guessed: bool = False


def profile_columns(layout: Layout) -> list[Profile]:
    """Profile every column over (at most) the first 1000 data rows."""
    rows = layout.rows[:_PROFILE_ROWS]
    profiles = []
    for col in range(layout.width):
        values = [r.cells[col] if col < len(r.cells) else "" for r in rows]
        filled = [v for v in values if v]
        p = Profile(fill=len(filled) / max(1, len(values)))
        if filled:
            n = len(filled)
            p.dates = sum(classify(v) is not None for v in filled) / n
            p.amounts = sum(looks_like_amount(v) for v in filled) / n
            p.ids = sum(bool(_ID_LIKE.match(v)) for v in filled) / n
            p.negatives = any(v.lstrip("(£$€ ").startswith(("-", "−")) or v.endswith("-") for v in filled)
            p.currencies = sum(v.upper() in ISO_CURRENCIES for v in filled) / n
            low = [normalize_header(v) for v in filled]
            flagged = [FLAG_WORDS[v] for v in low if v in FLAG_WORDS]
            p.flags = len(flagged) / n
            p.flag_classes = frozenset(flagged)
            p.status_words = any(v in PENDING_WORDS or v in SKIP_STATUS_WORDS for v in low)
            p.text = sum(any(c.isalpha() for c in v) for v in filled) / n
            p.avg_len = sum(map(len, filled)) / n
            p.distinct = len(set(filled)) / n
            if len(set(filled)) == 1 and p.fill > 0.9 and len(filled) > 1:
                p.constant = filled[0]
        profiles.append(p)
    return profiles


def detect_roles(layout: Layout, mapping: dict[str, str] | None = None) -> Roles:
    """Assign roles to columns. Raises ``KeyError`` naming a mapped column that is missing.

    A role mapped to ``""`` is left without a column (detection does not fill it)."""
    profiles = profile_columns(layout)
    names = layout.header or [""] * layout.width
    scores = [header_scores(n) if n else {} for n in names]
    roles = Roles()
    used: set[int] = set()
    cleared: set[str] = set()  # roles the caller says the file does not have (mapped to "")
    if mapping:
        for role, ref in mapping.items():
            if role in ("sign",):
                continue
            if not ref.strip():
                cleared.add(role)
                continue
            idxs = [_resolve(layout, part) for part in ref.split("+")]
            if role == "description":
                roles.description = idxs
            else:
                roles.columns[role] = idxs[0]
            used.update(idxs)

    def best(role: str, ok, minimum: float = 0.5) -> int | None:
        cands = [
            (scores[i].get(role, 0.0), -i) for i in range(layout.width) if i not in used and ok(profiles[i])
        ]
        cands = [c for c in cands if c[0] >= minimum]
        return -max(cands)[1] if cands else None

    def take(role: str, idx: int | None) -> None:
        if idx is not None and role not in roles.columns and role not in cleared:
            roles.columns[role] = idx
            used.add(idx)

    if "date" not in roles.columns:
        idx = best("date", lambda p: p.dates >= 0.6 and p.fill >= 0.3)
        if idx is None:
            idx = best("date", lambda p: p.dates >= 0.6 and p.fill >= 0.3, minimum=0.0)
            roles.confidence *= 0.8 if idx is not None else 1.0
        take("date", idx)
    numeric = lambda p: p.amounts >= 0.8 and p.dates < 0.5 and p.ids < 0.5  # noqa: E731
    if not {"amount", "debit", "credit"} & roles.columns.keys():
        _assign_amount(roles, profiles, scores, used, best, take, numeric)
    if "flag" not in roles.columns:
        flag_ok = lambda p: p.flags >= 0.8 and len(p.flag_classes) >= 1  # noqa: E731
        idx = best("flag", flag_ok)
        if idx is None:
            both = lambda p: flag_ok(p) and len(p.flag_classes) == 2  # noqa: E731
            unnamed = [
                i for i in range(layout.width) if i not in used and not names[i] and flag_ok(profiles[i])
            ]
            idx = best("flag", both, minimum=0.0) or (unnamed[0] if layout.header and unnamed else None)
        take("flag", idx)
    take(
        "currency",
        best("currency", lambda p: p.currencies >= 0.8)
        or best("currency", lambda p: p.currencies >= 0.95 and p.fill > 0.9, minimum=0.0),
    )
    take("balance", best("balance", numeric, minimum=0.6))
    take("payee", best("payee", lambda p: p.text >= 0.5, minimum=0.6))
    if not roles.description and "description" not in cleared:
        _assign_description(roles, profiles, scores, used, layout)
    take("reference", best("reference", lambda p: p.fill > 0, minimum=0.6))
    take("status", best("status", lambda p: p.status_words, minimum=0.0))
    single_row = len(layout.rows) == 1
    take("account", best("account", lambda p: p.constant is not None or (single_row and p.fill), minimum=0.6))
    return roles


def _assign_amount(roles, profiles, scores, used, best, take, numeric) -> None:
    amount = best("amount", lambda p: numeric(p) and p.fill > 0.3, minimum=0.6)
    if amount is None:  # clearly named but unreadable values: let the rows report them
        amount = best("amount", lambda p: p.fill > 0.3 and p.dates < 0.5 and p.amounts < 0.8, minimum=0.8)
    money_or_empty = lambda p: numeric(p) or p.fill == 0  # noqa: E731
    debit = best("debit", money_or_empty, minimum=0.6)
    credit = best("credit", money_or_empty, minimum=0.6)
    if amount is not None and (debit is None or credit is None or profiles[amount].negatives):
        take("amount", amount)
        return
    if debit is not None and credit is not None:
        take("debit", debit)
        take("credit", credit)
        return
    single = debit if debit is not None else credit
    if single is not None:
        take("amount", single)
        if not profiles[single].negatives and single == debit:
            roles.notes.append("debit_only")
        return
    cands = [i for i, p in enumerate(profiles) if i not in used and numeric(p)]
    roles.confidence *= 0.8
    for a, b in zip(cands, cands[1:], strict=False):
        pa, pb = profiles[a], profiles[b]
        if b == a + 1 and pa.fill + pb.fill <= 1.02 and pa.fill + pb.fill > 0.6:
            debit_col, credit_col = (a, b) if pa.fill >= pb.fill else (b, a)
            take("debit", debit_col)
            take("credit", credit_col)
            roles.confidence *= 0.7
            roles.flag_orientation_guessed = True
            return
    if cands:
        take("amount", cands[0])
        if len(cands) > 1 and profiles[cands[1]].fill > 0.9:
            take("balance", cands[1])


def _assign_description(roles, profiles, scores, used, layout) -> None:
    several = len(layout.rows) > 1
    named = [
        i
        for i in range(layout.width)
        if i not in used
        and scores[i].get("description", 0) >= 0.6
        and scores[i].get("description", 0) >= max(scores[i].values())
    ]
    varying = [i for i in named if not (several and profiles[i].constant is not None)]
    named = varying or named
    named.sort(key=lambda i: (-scores[i]["description"], i))
    if layout.header and named:
        base = normalize_header(layout.header[named[0]]).rstrip("0123456789 ")
        group = [i for i in named if normalize_header(layout.header[i]).startswith(base)]
        roles.description = sorted(group) if len(group) > 1 else named[:1]
    elif layout.header and "payee" in roles.columns:
        roles.confidence *= 0.9
    else:
        texts = [
            i
            for i, p in enumerate(profiles)
            if i not in used
            and p.text >= 0.5
            and p.currencies < 0.5
            and p.flags < 0.8
            and p.constant is None
            and max(scores[i].values(), default=0) < 0.6
        ]
        if texts:
            pick = max(
                texts, key=lambda i: profiles[i].avg_len * (0.5 + profiles[i].distinct) * profiles[i].fill
            )
            roles.description = [pick]
            roles.confidence *= 0.9 if layout.header is None else 0.85
        else:
            roles.confidence *= 0.8
    used.update(roles.description)


def _resolve(layout: Layout, ref: str) -> int:
    ref = ref.strip()
    if layout.header:
        for i, name in enumerate(layout.header):
            if name == ref or normalize_header(name) == normalize_header(ref):
                return i
    if ref.isdigit() and int(ref) < layout.width:
        return int(ref)
    raise KeyError(ref)


def column_label(layout: Layout, idx: int) -> str:
    """Header name of a column, or its index as a string for headerless files."""
    if layout.header and idx < len(layout.header) and layout.header[idx]:
        return layout.header[idx]
    return str(idx)
