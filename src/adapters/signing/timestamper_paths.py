"""A time stamper's certificate paths, validated once per signature instead of once per time stamp.

A B-LTA signature has two time stamps from one authority: the signature's, and the document
time stamp over it. pyHanko validates the TSA's certificate (the one in the authority's sample
token, which a `TimeStamper` keeps for its life) against the signature's validation context
for each: before signing, to gather the data the DSS needs; and again before the document time
stamp, to gather the same data. The same certificate in the same context, a few milliseconds
later, gives the same paths, so the second time is answered with the first one's: ~4 ms of a
B-LTA signature's ~55. A context is made per signature attempt (trust.py), so nothing is kept
beyond it; a validation that fails is not kept either.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import AsyncIterator

from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.path import ValidationPath


class PathsOncePerContext:
    """Mixin for a pyHanko `TimeStamper`: `validation_paths` runs once per validation context."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Stampers are shared by the signatures running in threads at once: one lock for the map.
        self._validated: weakref.WeakKeyDictionary[ValidationContext, list[ValidationPath]] = weakref.WeakKeyDictionary()
        self._validated_lock = threading.Lock()

    async def validation_paths(self, validation_context: ValidationContext) -> AsyncIterator[ValidationPath]:
        with self._validated_lock:
            paths = self._validated.get(validation_context)
        if paths is None:
            paths = [path async for path in super().validation_paths(validation_context)]  # type: ignore[misc]
            with self._validated_lock:
                self._validated[validation_context] = paths
        for path in paths:
            yield path
