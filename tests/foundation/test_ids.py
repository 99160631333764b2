"""One parser for ids (``core.ids``): a bad id is named with its field and value, and each
caller keeps its own answer to it (left out, "does not exist", a domain error)."""

from __future__ import annotations

import uuid

import pytest

from core import category_admin
from core.categories import leaf_problem
from core.correction_writes import as_uuids
from core.ids import InvalidId, parse_uuid, parse_uuids
from core.rules import Rule, RuleError, compile_rule
from core.rules_store import check_category

A, B = uuid.uuid4(), uuid.uuid4()


def test_parse_uuid_accepts_uuids_and_their_text() -> None:
    assert parse_uuid(A, "category id") is A
    assert parse_uuid(str(A), "category id") == A
    assert parse_uuid(str(A).upper(), "category id") == A


@pytest.mark.parametrize("bad", ["abc", "", None, 12, "x" * 100])
def test_a_bad_id_is_named_with_its_field_and_value(bad) -> None:
    with pytest.raises(InvalidId) as caught:
        parse_uuid(bad, "category id")
    assert caught.value.field == "category id" and caught.value.value == bad
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert message.startswith("category id must be a UUID, got ")
    assert repr(bad)[:20] in message and len(message) < 90  # a long value is cut


def test_parse_uuids_keeps_each_once_in_order_and_says_which_is_bad() -> None:
    assert parse_uuids([B, str(A), str(B), A], "transaction id") == [B, A]
    with pytest.raises(InvalidId, match="^transaction id must be a UUID, got 'nope'$"):
        parse_uuids([A, "nope"], "transaction id")
    assert parse_uuids([A, "nope", None, str(B)], "transaction id", skip_invalid=True) == [A, B]


def test_callers_keep_their_answers_with_the_invalid_id_as_the_cause() -> None:
    # none of these reach the database: a bad id is refused before any statement
    assert as_uuids(["nope", str(A), A, "", B]) == [A, B]
    assert leaf_problem(None, "nope") == "the chosen category does not exist"
    with pytest.raises(category_admin.CategoryError,
                       match=r"^This category does not exist \(any more\)\.$") as caught:
        category_admin.get(None, "nope")
    assert isinstance(caught.value.__cause__, InvalidId)
    assert str(caught.value.__cause__) == "category id must be a UUID, got 'nope'"
    rule = Rule(name="r", conditions=[{"field": "description", "op": "contains", "value": "x"}],
                actions=[{"type": "set_category", "category_id": "nope"}])
    with pytest.raises(RuleError, match="^the chosen category does not exist$") as caught:
        check_category(None, compile_rule(rule))
    assert isinstance(caught.value.__cause__, InvalidId)
