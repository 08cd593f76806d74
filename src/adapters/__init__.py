"""Implementations of the application's ports, grouped by what they talk to."""
