"""A long-running process's heap, settled once it has started and before it serves.

Python's cyclic garbage collector walks every object of the generation it collects. Once
started, a server holds ~300,000 objects that live as long as it does (modules, the app,
the container, fonts): each full collection walked them all again, ~130 ms, and the many
small objects a signature allocates (asn1crypto, pyHanko) set off a youngest-generation
pass every 700 allocations. Together ~40 ms of CPU per envelope (bench/server_cost.py).

`gc.freeze()` moves what exists now to the permanent generation, which collections skip;
garbage made later is collected as before. The youngest generation's threshold is raised
so that a pass runs every 10,000 allocations: a cycle lives a little longer, a few
megabytes at most.

Only for a process's own entry point (serve, its worker processes, `undersign worker`):
frozen objects are never collected, so a test process, which builds and drops many apps,
must not call it.
"""

from __future__ import annotations

import gc

YOUNGEST_GENERATION_THRESHOLD = 10_000


def settle_heap() -> None:
    """Collect what start-up left behind, then keep the rest out of every later collection."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, older, oldest)
