"""The audit chain detects any change to a stored entry."""

from dataclasses import replace
from datetime import UTC, datetime

from tests.fakes.events import AnyEvent
from undersign.domain.audit import GENESIS_HASH, chain, verify_chain

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def entries(count: int = 3):
    result, previous = [], None
    for n in range(count):
        previous = chain(previous, AnyEvent(name=f"E{n}", envelope_id="e1", at=AT, actor="system", payload={"n": n}))
        result.append(previous)
    return result


def test_entries_link_to_the_previous_hash():
    first, second, third = entries()
    assert first.prev_hash == GENESIS_HASH
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert verify_chain([first, second, third])


def test_a_modified_entry_breaks_the_chain():
    chained = entries()
    chained[1] = replace(chained[1], data={"n": 99})
    assert not verify_chain(chained)


def test_a_removed_or_reordered_entry_breaks_the_chain():
    first, second, third = entries()
    assert not verify_chain([first, third])
    assert not verify_chain([second, first, third])


def test_an_empty_chain_is_valid():
    assert verify_chain([])


def test_the_hash_is_sha256_over_a_documented_canonical_form():
    """Auditors recompute hashes with their own tools, so the canonical form is part of the contract."""
    import hashlib
    import json

    (entry,) = entries(1)
    canonical = json.dumps(
        {"envelope_id": "e1", "seq": 1, "type": "E0", "at": "2026-03-01T12:00:00+00:00",
         "actor": "system", "data": {"n": 0}, "prev_hash": GENESIS_HASH},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    assert entry.hash == hashlib.sha256(canonical.encode()).hexdigest()


def test_times_are_hashed_in_utc_whatever_offset_they_came_with():
    from datetime import timedelta, timezone

    paris = AT.astimezone(timezone(timedelta(hours=1)))
    same_instant = chain(None, AnyEvent(name="E", envelope_id="e1", at=paris, actor="system"))
    assert same_instant.at.utcoffset() == timedelta(0)
    assert same_instant.hash == chain(None, AnyEvent(name="E", envelope_id="e1", at=AT, actor="system")).hash
