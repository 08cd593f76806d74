"""The production job queue: arq on Redis."""
