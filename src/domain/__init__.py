"""The domain of Undersign: envelopes, signers, documents, policies and the audit chain.

Pure Python: the standard library only, no I/O, no clock, no randomness. Time and ids
come in as arguments.
"""
