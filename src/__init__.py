"""Undersign: an open-source electronic-signature platform.

domain/ (the rules), application/ (the use cases, by subject), adapters/ (databases, PDF,
mail, queues), entrypoints/ (HTTP, CLI, workers). docs/architecture.md says where each
subject lives.
"""
