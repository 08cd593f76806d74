"""Reads kept for a moment: fresh for exactly `fresh_for`, forgotten on demand, bounded in number."""

from datetime import timedelta

from tests.fakes.system import FakeClock
from undersign.application.shared.recently_read import RecentlyRead

SECOND = timedelta(seconds=1)


def test_a_read_is_used_until_it_is_fresh_for_old_then_read_again() -> None:
    clock = FakeClock()
    recent: RecentlyRead[str, str] = RecentlyRead(clock, fresh_for=SECOND, max_entries=10)
    recent.keep("k", "v")

    clock.advance(SECOND - timedelta(microseconds=1))
    assert recent.get("k") == "v"
    clock.advance(timedelta(microseconds=1))
    assert recent.get("k") is None


def test_a_clock_set_back_does_not_keep_a_read_forever() -> None:
    clock = FakeClock()
    recent: RecentlyRead[str, str] = RecentlyRead(clock, fresh_for=SECOND, max_entries=10)
    recent.keep("k", "v")
    clock.advance(-timedelta(hours=1))
    assert recent.get("k") is None


def test_a_forgotten_read_is_gone_and_the_oldest_go_first_past_the_bound() -> None:
    clock = FakeClock()
    recent: RecentlyRead[str, int] = RecentlyRead(clock, fresh_for=SECOND, max_entries=3)
    for n in range(4):
        recent.keep(f"k{n}", n)
    recent.forget("k2")

    assert [recent.get(f"k{n}") for n in range(4)] == [None, 1, None, 3]
