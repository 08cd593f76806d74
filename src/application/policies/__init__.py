"""Signing policies as tenant resources: created, revised (each change a new version), listed, read, and the tenant's default chosen."""
