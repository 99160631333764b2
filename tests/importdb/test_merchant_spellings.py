"""One shop, one merchant name, whether the bank padded its descriptor or not.

The real Marks & Spencer card export writes fixed-width descriptors ("DELIVEROO.CO.UK
LONDON        LND"); the importer names such a line by its first field. The "other export"
below is the same lines with every run of spaces written as one, as a bank's single-spaced
export (or a PDF converter) writes them, on later dates so they are new transactions.
"""

from __future__ import annotations

import re

from core.importing.merchant import flat_merchant, normalize_merchant
from core.rules import Rule
from core.rules_store import save_rule

MS = "bank2ynab/test/test-data/MS_JANE_SMITH_01-12-2019_14-12-2019.csv"


def _single_spaced(text: str, month: str = "Jan-2020") -> bytes:
    """The booked rows of the M&S export, single-spaced and a month later."""
    header, *rows = text.splitlines()
    out = [header]
    for row in rows:
        if row.startswith("Pending"):
            continue
        out.append(re.sub(r" {2,}", " ", row.replace("-Dec-2019", f"-{month}")))
    return ("\n".join(out) + "\n").encode("utf-8")


def _names(db, user, where: str = "true") -> dict[str, set[str]]:
    """description (runs of spaces as one) -> merchant names stored for it."""
    with db.user_session(user) as conn:
        rows = conn.execute(f"select description, merchant from transactions where {where}").fetchall()
    out: dict[str, set[str]] = {}
    for description, merchant in rows:
        out.setdefault(re.sub(r"\s{2,}", " ", description), set()).add(merchant)
    return out


def test_flat_name_of_a_fixed_width_line() -> None:
    line = "DELIVEROO.CO.UK        LONDON        LND"
    assert normalize_merchant(line) == "DELIVEROO.CO.UK"
    assert flat_merchant(line) == "DELIVEROO.CO.UK LONDON" == normalize_merchant(
        "DELIVEROO.CO.UK LONDON LND")
    assert flat_merchant("DELIVEROO.CO.UK LONDON LND") is None  # single-spaced: its own name


def test_single_spaced_lines_take_the_name_of_the_fixed_width_ones(
        db, make_user, statements, import_file, import_bytes) -> None:
    user = make_user(name="spellings").user
    text = (statements / MS).read_text("utf-8-sig")
    first = import_file(user, MS, "Card")
    later = import_bytes(user, _single_spaced(text), "single.csv", "Card")
    assert later.n_imported == 10 and later.n_duplicates == 0
    names = _names(db, user)
    for flat in ("DELIVEROO.CO.UK LONDON LND", "NOOKI DESIGN LONDON NW10 GBR",
                 "SPACE NK LTD KENSINGTON GBR", "SAINSBURYS SACAT 0602 LADBROKE GROV GBR"):
        assert len(names[flat]) == 1, (flat, names[flat])  # both spellings: one merchant
    assert names["DELIVEROO.CO.UK LONDON LND"] == {"DELIVEROO.CO.UK"}
    assert names["SPACE NK LTD KENSINGTON GBR"] == {"SPACE NK"}
    assert names["PAYMENT RECEIVED - THANK YOU"] == {normalize_merchant("PAYMENT RECEIVED - THANK YOU")}
    with db.user_session(user) as conn:
        merchants = conn.execute("select count(distinct merchant) from transactions").fetchone()[0]
    assert merchants == first.n_imported  # 13 lines of 13 shops, each shop under one name


def test_a_name_the_user_has_wins_over_the_first_field(db, make_user, statements, import_file,
                                                        import_bytes) -> None:
    """Single-spaced export first: its whole-line names are what the user knows, so the padded
    lines imported later take those names instead of starting a second merchant."""
    user = make_user(name="spellings-rev").user
    text = (statements / MS).read_text("utf-8-sig")
    import_bytes(user, _single_spaced(text), "single.csv", "Card")
    import_file(user, MS, "Card")
    names = _names(db, user)
    assert names["DELIVEROO.CO.UK LONDON LND"] == {"DELIVEROO.CO.UK LONDON"}
    assert names["SPACE NK LTD KENSINGTON GBR"] == {"SPACE NK KENSINGTON"}
    # the pending rows had no single-spaced twin: they keep their first field
    assert names["L'OLILO LONDON GBR"] == {"L'OLILO"}


def test_one_file_with_both_spellings_uses_the_first_field(db, make_user, statements,
                                                            import_bytes) -> None:
    user = make_user(name="spellings-one").user
    text = (statements / MS).read_text("utf-8-sig")
    header, *rows = text.splitlines()
    single = _single_spaced(text).decode().splitlines()[1:]
    both = ("\n".join([header, *rows[3:], *single]) + "\n").encode()
    summary = import_bytes(user, both, "both.csv", "Card")
    assert summary.n_imported == 20
    assert _names(db, user)["DELIVEROO.CO.UK LONDON LND"] == {"DELIVEROO.CO.UK"}


def test_a_name_a_rule_set_is_not_copied(db, make_user, statements, import_file,
                                         import_bytes) -> None:
    """A rule renamed the padded Deliveroo line: that name belongs to the rule, so the
    single-spaced line is not given it by spelling (no rule matches its description)."""
    user = make_user(name="spellings-rule").user
    with db.user_session(user) as conn:
        save_rule(conn, Rule(name="Deliveroo", conditions=[
            {"field": "description", "op": "regex", "value": r"DELIVEROO\.CO\.UK {2,}"}],
            actions=[{"type": "set_merchant", "value": "Deliveroo (padded)"}]))
    text = (statements / MS).read_text("utf-8-sig")
    import_file(user, MS, "Card")
    import_bytes(user, _single_spaced(text), "single.csv", "Card")
    names = _names(db, user)
    assert names["DELIVEROO.CO.UK LONDON LND"] == {"Deliveroo (padded)", "DELIVEROO.CO.UK LONDON"}
    assert names["SPACE NK LTD KENSINGTON GBR"] == {"SPACE NK"}  # the others still unify


def test_other_shops_of_a_chain_stay_apart(db, make_user, statements, import_file,
                                           import_bytes) -> None:
    """Only the same line spelled another way is merged: another Next store (another town) or
    a longer name that starts with a known one ("SPACE NK BEAUTY") keeps its own name."""
    user = make_user(name="spellings-apart").user
    import_file(user, MS, "Card")
    other = ("Date Processed,Description,Amount\n"
             "05-Jan-2020,NEXT DIRECTORY LEEDS GBR,£12.00\n"
             "06-Jan-2020,SPACE NK BEAUTY LONDON GBR,£5.00\n").encode()
    import_bytes(user, other, "other.csv", "Card")
    names = _names(db, user)
    assert names["NEXT DIRECTORY LEEDS GBR"] == {"NEXT DIRECTORY LEEDS"}
    assert names["SPACE NK BEAUTY LONDON GBR"] == {"SPACE NK BEAUTY LONDON"}


def test_a_name_an_earlier_importer_made_is_kept(db, make_user, import_bytes) -> None:
    """Rows imported before the importer learned to drop "AU AUS" and "Card xx.. Value Date"
    carry the longer name; the same shop imported now joins them instead of starting anew.
    Lines as the Commonwealth Bank exports them."""
    user = make_user(name="spellings-old").user
    first = ("Date,Description,Amount\n"
             "2022-01-05,COLES 0784 DEE WHY AU AUS Card xx0033 Value Date: 01/01/2022,-29.98\n"
             "2022-01-09,TRANSPORTFORNSW TAP SYDNEY AUS Card xx0033 Value Date: 07/01/2022,-16.30\n")
    import_bytes(user, first.encode(), "jan.csv", "Smart Access")
    with db.user_session(user) as conn:  # the names the importer of session 15 gave them
        conn.execute("update transactions set merchant = 'COLES DEE WHY AU AUS'"
                     " where description like 'COLES%%'")
        conn.execute("update transactions set merchant = 'TRANSPORTFORNSW TAP SYDNEY AUS CARD'"
                     " where description like 'TRANSPORT%%'")
    later = ("Date,Description,Amount\n"
             "2022-02-02,COLES 0784 DEE WHY AUS TAP AND PAY 5642,-4.50\n"
             "2022-02-03,TRANSPORTFORNSW TAP SYDNEY AUS Card xx0033 Value Date: 01/02/2022,-5.50\n"
             "2022-02-04,WOOLWORTHS 1472 DEE WHY NS AUS Card xx0033 Value Date: 02/02/2022,-9.00\n")
    import_bytes(user, later.encode(), "feb.csv", "Smart Access")
    names = _names(db, user, "date >= '2022-02-01'")
    assert names["COLES 0784 DEE WHY AUS TAP AND PAY 5642"] == {"COLES DEE WHY AU AUS"}
    assert names["TRANSPORTFORNSW TAP SYDNEY AUS Card xx0033 Value Date: 01/02/2022"] == {
        "TRANSPORTFORNSW TAP SYDNEY AUS CARD"}
    assert names["WOOLWORTHS 1472 DEE WHY NS AUS Card xx0033 Value Date: 02/02/2022"] == {
        "WOOLWORTHS DEE WHY"}  # a shop the user has no rows of gets today's name
