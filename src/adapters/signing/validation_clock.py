"""pyHanko's "now", read from the validation time: what makes a verification at another time honest.

Handed a validation time (`ValidationTimingInfo`), pyHanko 0.38's AdES engine still reads the
real clock in two places, and no parameter reaches either:

- the past certificate validation (ETSI EN 319 102-1 § 5.6.2.1) starts its time slide from
  the clock: `pyhanko_certvalidator.ltv.ades_past.past_validate` takes
  `init_control_time or datetime.now(...)`, and `pyhanko.sign.validation.ades.
  _build_and_past_validate_cert` always passes `init_control_time=None`;
- the proof-of-existence manager dates whatever it holds no proof for at the clock
  (`pyhanko_certvalidator.ltv.poe.POEManager.register`, reached through `__getitem__`), and
  `ades_lta_validation` makes its managers without `current_dt_override`.

So at a validation time eleven years on, a signature whose time-stamping authority's
certificate has ended by then still passed: the time slide began today. pyHanko's own tests
move the clock (freezegun) to validate at another time; this does the same, for those
modules only and only inside `clock_at`: their `datetime` is a subclass whose `now()` is a
clock that starts at the validation time and runs on, as the clock of a process started at
that time would (faketime), while one is set (a context variable, so threads and tasks that
verify at other times do not mix), and the real clock otherwise. The verifier runs in the PDF
sandbox's child process, which ends after one verification.

Why a running clock, not a frozen one: it is what pyHanko's standard validation sees, and
its verdicts depend on it. It reads the clock once to start the time slide and again, a
moment later, to date what it holds no proof of existence for; that date is then after the
start of the slide, so without a document time stamp (PAdES B-LTA) to prove earlier
existence, the long-term validation ends INDETERMINATE (NO_POE), at any validation time.
A frozen clock would pass such a B-LT signature, and disagree with every pyHanko there is.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, tzinfo

# Every pyHanko module that reads the clock while validating; the first two are the ones that
# matter (see above), the others read it only when a caller gives no time, which we never do.
_MODULES = (
    "pyhanko_certvalidator.ltv.ades_past",
    "pyhanko_certvalidator.ltv.poe",
    "pyhanko_certvalidator.ltv.types",
    "pyhanko_certvalidator.context",
    "pyhanko.sign.validation.ades",
)

# The validation time, and the monotonic clock's reading when the block began.
_validation_time: ContextVar[tuple[datetime, float] | None] = ContextVar("undersign_validation_time", default=None)


class _ValidationClock(datetime):
    """`datetime`, except that `now()` runs from the validation time while one is set."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        started = _validation_time.get()
        if started is None:
            return datetime.now(tz)
        moment, at = started
        try:
            current = moment + timedelta(seconds=time.monotonic() - at)
            return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)
        except OverflowError:  # a validation time at the end of the calendar: the clock stops there
            return moment


_installing = threading.Lock()


def _install() -> None:
    """Once per process: outside `clock_at`, the modules read the real clock as before."""
    with _installing:
        for name in _MODULES:
            module = importlib.import_module(name)
            found = getattr(module, "datetime", None)
            if found is _ValidationClock:
                continue
            if found is not datetime:
                raise RuntimeError(f"{name} no longer reads the clock through datetime.datetime: see validation_clock")
            module.datetime = _ValidationClock  # type: ignore[attr-defined]


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """pyHanko's validation sees `moment` as now, within this block (and the tasks started in it)."""
    if moment.utcoffset() is None:
        raise ValueError("the validation time needs a UTC offset")
    _install()
    token = _validation_time.set((moment, time.monotonic()))
    try:
        yield
    finally:
        _validation_time.reset(token)
