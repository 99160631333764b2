"""Row rules for tabular exports: signs, continuation lines, summaries, pending, rejects.

See :mod:`core.importing.csv_reader` for the rules; this module applies them row by row to
columns that were already parsed as whole columns.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from core.importing.csv_headers import normalize_header
from core.importing.csv_layout import Layout
from core.importing.csv_roles import Roles, column_label
from core.importing.csv_rules import SUMMARY_HINT, is_summary_text, looks_like_bank_ids, status_kind
from core.importing.merchant import normalize_merchant
from core.importing.model import ParsedTransaction, ParseResult, RejectedRow
from core.importing.vocab import FLAG_WORDS, ISO_CURRENCIES, PENDING_WORDS

log = logging.getLogger(__name__)


@dataclass
class RowBuilder:
    """Turns the parsed columns of one table into transactions and rejected rows."""

    layout: Layout
    roles: Roles
    filename: str
    dates: list[dt.date | None]
    date_example: str
    amounts: dict[str, list[Decimal | None]]
    amount_example: str
    currency: str | None
    sign: str | None = None

    def _col(self, role: str) -> list[str]:
        idx = self.roles.columns.get(role)
        if idx is None:
            return [""] * len(self.layout.rows)
        return [r.cells[idx] if idx < len(r.cells) else "" for r in self.layout.rows]

    def run(self, result: ParseResult) -> None:
        rows = self.layout.rows
        n = len(rows)
        date_txt, payee, ref = self._col("date"), self._col("payee"), self._col("reference")
        flag, status, ccy = self._col("flag"), self._col("status"), self._col("currency")
        desc_cols = [self._col_at(i) for i in self.roles.description]
        money_txt = {role: self._col(role) for role in self.amounts if role != "balance"}
        self._flag_mode(flag)
        ext = ref if looks_like_bank_ids(ref) else self._col("external_id")
        self._ext = ext
        balances = self.amounts.get("balance", [None] * n)
        if len(desc_cols) == 1:
            texts = desc_cols[0]
        elif desc_cols:
            texts = [" ".join(filter(None, parts)) for parts in zip(*desc_cols, strict=True)]
        else:
            texts = [""] * n
        money_cols = list(money_txt.values())
        has_money = money_cols[0] if len(money_cols) == 1 else [any(t) for t in zip(*money_cols, strict=True)]
        kinds: dict[str, str] = {}
        state = [kinds[v] if v in kinds else kinds.setdefault(v, status_kind(v)) for v in status]
        simple = "amount" in self.amounts and not self.use_flag and self.sign != "negate"
        flip = self.negate_unsigned
        amounts = self.amounts.get("amount", [None] * n)
        codes = {"": self.currency}
        self.skipped = {"summary": 0, "status": 0}
        self.undated: list[ParsedTransaction] = []
        out = result.transactions
        last_row = -2
        for i in range(n):
            text, date, kind = texts[i], self.dates[i], state[i]
            if not date_txt[i] and not has_money[i] and last_row == i - 1 and out:
                if self._continue(out[-1], text, rows[i]):
                    last_row = i
                continue
            if kind == "skip":
                self.skipped["status"] += 1
                continue
            if date is None or (len(text) < 60 and SUMMARY_HINT.search(text.lower())):
                if self._slow_row(result, i, text, date_txt[i], kind, flag[i], money_txt):
                    last_row = i
                continue
            amount = amounts[i] if simple else self._amount(result, i, rows[i].line, flag[i], money_txt)
            if amount is None:
                if simple:
                    self._amount(result, i, rows[i].line, flag[i], money_txt)
                continue
            if simple and flip:
                amount = -amount
            elif self.sign == "negate":
                amount = -amount
            p = payee[i] or None
            description = text or p or self._fallback_text(rows[i].cells) or "(no description)"
            code = ccy[i]
            currency = codes.get(code)
            if currency is None:
                upper = code.upper()
                currency = codes[code] = upper if upper in ISO_CURRENCIES else self.currency
            out.append(
                ParsedTransaction(
                    date,
                    amount,
                    currency,
                    description,
                    p,
                    normalize_merchant(description, p),
                    ext[i] or None,
                    balances[i],
                    ref[i] or None,
                    kind == "pending",
                    rows[i].line,
                    rows[i].raw,
                )
            )
            last_row = i
        self._finish(result, self.undated, self.skipped["summary"], self.skipped["status"])

    def _col_at(self, idx: int) -> list[str]:
        return [r.cells[idx] if idx < len(r.cells) else "" for r in self.layout.rows]

    def _continue(self, prev: ParsedTransaction, text: str, row) -> bool:
        """Append a wrapped description line to the previous transaction."""
        extra = text or " ".join(c for c in row.cells if c)
        if not extra:
            return False
        prev.description = f"{prev.description} {extra}".strip()
        prev.raw += "\n" + row.raw
        prev.merchant = normalize_merchant(prev.description, prev.payee)
        return True

    def _slow_row(self, result, i: int, text: str, date_text: str, kind: str, flag: str, money_txt) -> bool:
        """Rows without a date or that may be balance/total lines; True if a transaction."""
        row = self.layout.rows[i]
        date = self.dates[i]
        dated = date is not None
        probe = text if dated else (date_text or text or next((c for c in row.cells if c), ""))
        if is_summary_text(normalize_header(probe), dated) or (
            not dated and is_summary_text(normalize_header(text), dated)
        ):
            self.skipped["summary"] += 1
            return False
        pending = kind == "pending"
        if date is None:
            if normalize_header(date_text) in PENDING_WORDS or (pending and not date_text):
                pending = True
            else:
                self._reject(result, row.line, "date", date_text, f"expected a date like {self.date_example}")
                return False
        amount = self._amount(result, i, row.line, flag, money_txt)
        if amount is None:
            return False
        if self.sign == "negate":
            amount = -amount
        payee = self._col_value("payee", row) or None
        description = text or payee or self._fallback_text(row.cells) or "(no description)"
        code = self._col_value("currency", row).upper()
        ref = self._col_value("reference", row) or None
        txn = ParsedTransaction(
            date or dt.date.min,
            amount,
            code if code in ISO_CURRENCIES else self.currency,
            description,
            payee,
            normalize_merchant(description, payee),
            self._ext[i] or None,
            self.amounts.get("balance", [None] * (i + 1))[i],
            ref,
            pending,
            row.line,
            row.raw,
        )
        result.transactions.append(txn)
        if date is None:
            self.undated.append(txn)
        return True

    def _col_value(self, role: str, row) -> str:
        idx = self.roles.columns.get(role)
        return row.cells[idx] if idx is not None and idx < len(row.cells) else ""

    def _flag_mode(self, flag: list[str]) -> None:
        classes = {FLAG_WORDS.get(normalize_header(v)) for v in flag if v} - {None}
        signed = any(a is not None and a < 0 for a in self.amounts.get("amount", []))
        self.use_flag = "flag" in self.roles.columns and "amount" in self.amounts and not signed
        self.blank_flag = ({"debit", "credit"} - classes).pop() if len(classes) == 1 else None
        self.negate_unsigned = (
            "amount" in self.amounts
            and not signed
            and not self.use_flag
            and self.sign not in ("as_is", "negate")
            and any(a for a in self.amounts["amount"])
        )

    def _amount(self, result, i: int, line: int, flag: str, texts) -> Decimal | None:
        if "amount" in self.amounts:
            value = self.amounts["amount"][i]
            if value is None:
                self._reject(
                    result,
                    line,
                    "amount",
                    texts["amount"][i],
                    f"expected a number like {self.amount_example}",
                )
                return None
            if self.use_flag:
                kind = FLAG_WORDS.get(normalize_header(flag)) if flag else self.blank_flag
                if kind is None:
                    self._reject(
                        result,
                        line,
                        "flag",
                        flag,
                        "expected a debit/credit marker such as D/C, S/H or Af/Bij",
                    )
                    return None
                return -abs(value) if kind == "debit" else abs(value)
            return -value if self.negate_unsigned else value
        debit = self.amounts.get("debit", [None] * (i + 1))[i]
        credit = self.amounts.get("credit", [None] * (i + 1))[i]
        if debit is None and credit is None:
            bad = next((r for r in ("debit", "credit") if r in texts and texts[r][i]), "debit")
            value = texts.get(bad, [""] * (i + 1))[i]
            self._reject(
                result,
                line,
                bad,
                value,
                f"expected a number like {self.amount_example} in the debit or credit column",
            )
            return None
        return abs(credit or Decimal(0)) - abs(debit or Decimal(0))

    def _reject(self, result: ParseResult, line: int, role: str, value: str, reason: str) -> None:
        idx = self.roles.columns.get(role)
        if idx is None:
            label = role
        elif self.layout.header:
            label = column_label(self.layout, idx)
        else:
            label = f"{role} (column {idx + 1})"
        result.rejected.append(RejectedRow(line=line, field=label, value=value, reason=reason))

    def _fallback_text(self, cells: list[str]) -> str:
        used = set(self.roles.columns.values())
        return next(
            (c for i, c in enumerate(cells) if c and i not in used and any(ch.isalpha() for ch in c)), ""
        )

    def _finish(self, result: ParseResult, undated, skipped_summary: int, skipped_status: int) -> None:
        if undated:
            ids = {id(t) for t in undated}
            known = [t.date for t in result.transactions if id(t) not in ids]
            if known:
                latest = max(known)
                for txn in undated:
                    txn.date = latest
                result.warnings.append(
                    f"{len(undated)} pending row(s) had no date; "
                    f"dated {latest.isoformat()}, the latest date in the file"
                )
            else:
                result.transactions = [t for t in result.transactions if id(t) not in ids]
                for txn in undated:
                    result.rejected.append(
                        RejectedRow(txn.line, "date", "", "expected a date; pending row without date")
                    )
        if skipped_summary:
            result.warnings.append(f"skipped {skipped_summary} balance/total line(s) inside the table")
        if skipped_status:
            result.warnings.append(f"skipped {skipped_status} declined/failed/reverted row(s)")
        if self.negate_unsigned:
            result.warnings.append(
                "every amount is unsigned; read as money out (card statement convention); "
                "pass mapping={'sign': 'as_is'} if they are money in"
            )
            self.roles.confidence *= 0.75
        if self.roles.flag_orientation_guessed:
            result.warnings.append(
                "no header names the debit and credit columns; "
                "the column with more entries was read as money out"
            )
