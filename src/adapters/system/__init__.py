"""The machine itself: clock, identifiers, secrets, logs."""
