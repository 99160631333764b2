"""One merchant name per shop, however the bank spaced the line.

A card network's descriptor is fixed-width: name, town, state or country, each padded with
spaces ("LAWLERS WHOLELIFE  DEE WHY  NSW"). The importer names such a line by its first field
("LAWLERS WHOLELIFE"). The same bank's other export, or the same export a year later, writes
the same purchase with single spaces ("LAWLERS WHOLELIFE DEE WHY NSW"), where no field
boundary is left and the whole line becomes the name. Left alone, that is two merchants: two
review cards, two memories for the categorizer, two rows in "top merchants".

:func:`unify_spellings` runs inside an import, before the user's rules, and gives each new line
the name the user already has for the same shop. A new line's *key* is its flat form (the line
read as one run of words, :func:`~core.importing.merchant.flat_merchant`) when it is padded,
else its name. Which name wins:

1. a name the user's stored rows carry for that key (the one with most rows), so that rules,
   corrections and the categorizer's memory keep working on the name they know. A stored name
   is the key's when the importer reads the name itself as the key: the same name, or one that
   an earlier version of the importer made ("COLES DEE WHY AU AUS", now "COLES DEE WHY"). It is
   also the key's when it is the first field of a padded row whose flat form is the key, if the
   importer made it: a name that a rule set for a padded line is never copied to other lines;
2. otherwise, within the file, the name a padded line gave (its first field: the bank's own
   field boundary, so the shop's name without the town).

Nothing stored is rewritten: only the new lines' names are chosen.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence

import psycopg

from core.importing import ParsedTransaction
from core.importing.merchant import flat_merchant, normalize_merchant

log = logging.getLogger(__name__)


def unify_spellings(conn: psycopg.Connection, txns: Sequence[ParsedTransaction]) -> int:
    """Rename the new lines in ``txns`` (in place) to the name the user uses for the same shop
    written another way; returns how many lines were renamed. Reads the user's rows through
    ``conn`` (row-level security limits it to them)."""
    if not txns:
        return 0
    flats = [flat_merchant(t.description, t.payee) for t in txns]
    keys = [f or t.merchant for f, t in zip(flats, txns, strict=True)]
    existing = _existing_names(conn, _candidates(txns, flats), set(keys))
    from_file: dict[str, Counter[str]] = defaultdict(Counter)  # flat -> fixed-width names
    for f, t in zip(flats, txns, strict=True):
        if f and t.merchant:
            from_file[f][t.merchant] += 1
    chosen: dict[str, str] = {}
    for key in set(keys):
        if key in existing:
            chosen[key] = _most_rows(existing[key])
        elif key in from_file:
            chosen[key] = _most_rows(from_file[key])
    renamed = 0
    for key, t in zip(keys, txns, strict=True):
        name = chosen.get(key)
        if name and name != t.merchant:
            t.merchant = name
            renamed += 1
    if renamed:
        log.info("import: %d line(s) took the merchant name of the same shop spelled another way",
                 renamed)
    return renamed


def _candidates(txns: Sequence[ParsedTransaction], flats: Sequence[str | None]) -> list[str]:
    """Stored names that may share a flat form with a new line: its own name, its flat form,
    and (for a single-spaced line, whose first field is unknown) each shorter run of its
    leading words, which a fixed-width row of the same shop would carry as its name."""
    names = {t.merchant for t in txns if t.merchant}
    names.update(f for f in flats if f)
    single = {t.merchant for f, t in zip(flats, txns, strict=True) if not f and t.merchant}
    for name in single:
        words = name.split()
        names.update(" ".join(words[:k]) for k in range(1, len(words)))
    return sorted(names)


def _existing_names(conn: psycopg.Connection, candidates: list[str],
                    keys: set[str]) -> dict[str, Counter[str]]:
    """key -> {stored name: rows}, for the ``keys`` of the new lines. A stored name counts for
    a key when the importer reads the name itself as that key (the same name, or one an earlier
    version of the importer made: "COLES DEE WHY AU AUS" is now "COLES DEE WHY"), or when it is
    the first field of one of the user's fixed-width rows (named in ``candidates``) whose flat
    form is the key and the importer made that name (a rule's name is never copied across)."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    if not keys:
        return out
    for merchant, n in conn.execute("select merchant, count(*) from public.transactions"
                                    " where merchant is not null group by merchant"):
        for key in {merchant, normalize_merchant(merchant)} & keys:
            out[key][merchant] += n
    if not candidates:
        return out
    padded = conn.execute(
        "select merchant, description, payee, count(*) from public.transactions"
        " where merchant = any(%s) and (strpos(description, '  ') > 0"
        " or strpos(description, chr(9)) > 0 or strpos(payee, '  ') > 0 or strpos(payee, chr(9)) > 0)"
        " group by merchant, description, payee", [candidates]).fetchall()
    for merchant, description, payee, n in padded:
        flat = flat_merchant(description or "", payee)
        if (flat in keys and flat not in (merchant, normalize_merchant(merchant))
                and merchant == normalize_merchant(description or "", payee)):
            out[flat][merchant] += n
    return out


def _most_rows(names: Counter[str]) -> str:
    """The name with most rows; on a tie the shorter, then the first alphabetically."""
    return min(names, key=lambda name: (-names[name], len(name), name))
