"""The closing balance a statement states, when its balance column adds up.

Many exports carry a running balance per row (some only on the last row of a day). When the
balances follow the amounts, one row after another in the file's order (oldest first) or in
reverse (newest first), the balance after the file's chronologically last row is known, and an
account created for the file can be given the opening balance that makes it end there.

:func:`closing_balance` checks each pair of consecutive balance-bearing rows: ascending files
satisfy ``later = earlier + the amounts in between, the later row's included``, descending ones
``earlier = later + the amounts from the earlier row up to the later one``. At least
:data:`MIN_AGREEMENT` of the pairs must agree on one direction (a file of several accounts, or
one whose rows were re-sorted, does not); otherwise, or with fewer than two balances, the
closing balance is unknown (``None``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from core.importing.model import ParsedTransaction

log = logging.getLogger(__name__)

MIN_AGREEMENT = 0.9
_CENT = Decimal("0.01")


def closing_balance(txns: Sequence[ParsedTransaction]) -> Decimal | None:
    """The balance after the last transaction of ``txns`` (in date order), or ``None`` when
    the file's balances do not follow its amounts (see the module docstring)."""
    rows = sorted((t for t in txns if not t.pending), key=lambda t: t.line)
    marks = [i for i, t in enumerate(rows) if t.balance is not None]
    if len(marks) < 2:
        return None
    amounts = [t.amount for t in rows]
    ascending = descending = 0
    for i, j in zip(marks, marks[1:], strict=False):
        earlier, later = rows[i].balance, rows[j].balance
        if abs(later - (earlier + sum(amounts[i + 1:j + 1], Decimal(0)))) <= _CENT:
            ascending += 1
        if abs(earlier - (later + sum(amounts[i:j], Decimal(0)))) <= _CENT:
            descending += 1
    pairs = len(marks) - 1
    if ascending >= MIN_AGREEMENT * pairs and ascending >= descending:
        last = marks[-1]  # rows after it are later still
        return rows[last].balance + sum(amounts[last + 1:], Decimal(0))
    if descending >= MIN_AGREEMENT * pairs:
        first = marks[0]  # rows before it are later still
        return rows[first].balance + sum(amounts[:first], Decimal(0))
    log.info("balance column does not follow the amounts (%d/%d pairs up, %d down)",
             ascending, pairs, descending)
    return None


def has_balances(txns: Sequence[ParsedTransaction]) -> bool:
    return any(t.balance is not None for t in txns)
