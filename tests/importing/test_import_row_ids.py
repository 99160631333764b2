"""Row ids the importer assigns: UUIDv7 layout, increasing, unique, valid UUIDs."""

from __future__ import annotations

import time
import uuid

from core.import_writer import time_ordered_ids


def test_ids_increase_and_carry_version_7_and_the_current_time() -> None:
    before = time.time_ns() // 1_000_000
    ids = [time_ordered_ids()() for _ in range(3)]  # first ids of separate imports
    make = time_ordered_ids()
    run = [make() for _ in range(10_000)]
    assert run == sorted(run) and len(set(run)) == len(run)
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in run + ids)
    assert all(uuid.UUID(str(i)) == i and uuid.UUID(bytes=i.bytes) == i for i in run[:100])
    millis = run[0].int >> 80
    assert before <= millis <= time.time_ns() // 1_000_000
    # two imports started in the same millisecond still get different ids
    assert len({time_ordered_ids()() for _ in range(200)}) == 200
