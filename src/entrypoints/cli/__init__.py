"""The `undersign` command line, for operators."""
