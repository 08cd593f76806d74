"""In-memory fakes of every port, for unit tests and specs that run in milliseconds.

The fake database applies a unit of work's writes atomically at commit, with the same
version checks as the SQL adapter, so races between coroutines show up here too.
"""
