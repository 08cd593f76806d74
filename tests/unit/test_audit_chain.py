"""The audit chain detects any change to a stored entry."""

from dataclasses import replace
from datetime import UTC, datetime

from domain.audit import GENESIS_HASH, chain, verify_chain
from domain.events import DomainEvent

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def entries(count: int = 3):
    result, previous = [], None
    for n in range(count):
        previous = chain(previous, DomainEvent(type=f"E{n}", envelope_id="e1", at=AT, actor="system", data={"n": n}))
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
