"""`undersign`: serve the API, migrate the database, manage tenants, keys, users and teams, verify audit chains
and PDFs, revoke signers' certificates.

Every command takes --json and then prints exactly one JSON object on stdout. Errors are
one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import click

from undersign.entrypoints.cli.archive import archive
from undersign.entrypoints.cli.audit import audit
from undersign.entrypoints.cli.ca import ca
from undersign.entrypoints.cli.common import fail
from undersign.entrypoints.cli.database import db
from undersign.entrypoints.cli.evidence import evidence
from undersign.entrypoints.cli.jobs import jobs, worker
from undersign.entrypoints.cli.policies import policy
from undersign.entrypoints.cli.retention import legal_hold, retention
from undersign.entrypoints.cli.serve import serve
from undersign.entrypoints.cli.storage import storage
from undersign.entrypoints.cli.tenants import apikey, tenant
from undersign.entrypoints.cli.users import team, user
from undersign.entrypoints.cli.verify import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="undersign", prog_name="undersign", message="%(prog)s %(version)s")
def cli() -> None:
    """Undersign: electronic signatures you can verify."""


# One module per subject; each command imports what it needs when it runs (see common.py).
cli.add_command(serve)
cli.add_command(db)
cli.add_command(tenant)
cli.add_command(apikey)
cli.add_command(user)
cli.add_command(team)
cli.add_command(policy)
cli.add_command(audit)
cli.add_command(evidence)
cli.add_command(archive)
cli.add_command(worker)
cli.add_command(jobs)
cli.add_command(verify)
cli.add_command(storage)
cli.add_command(ca)
cli.add_command(retention)
cli.add_command(legal_hold)


def main() -> None:
    """The console entry: anything unexpected is one line on stderr, not a traceback."""
    try:
        cli()
    except Exception as error:  # noqa: BLE001 - the last line of defence for operators
        fail(f"{type(error).__name__}: {error}")
