"""Throttling counters: in this process (the embedded default) or shared through Redis."""
