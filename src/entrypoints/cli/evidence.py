"""`undersign evidence export`: an envelope's evidence package (ZIP), for operators, whatever its tenant."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from undersign.entrypoints.cli.common import emit, fail, json_option, run_with_container


@click.group()
def evidence() -> None:
    """Envelopes' evidence packages: documents, certificate, audit trail, verification reports, SHA-256 sums."""


@evidence.command("export")
@click.argument("envelope_id")
@click.option(
    "--output", "-o", "output", required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Where to write the ZIP; - for standard output.",
)
@json_option
def evidence_export(envelope_id: str, output: Path, as_json: bool) -> None:
    """Write ENVELOPE_ID's evidence package to --output; check it with `undersign verify FILE` or `sha256sum -c`."""
    to_stdout = str(output) == "-"
    if to_stdout and as_json:
        fail("--json prints on standard output: give --output a file")

    async def export(container) -> int:
        async with container.use_cases().evidence_packages.export_for_operator(envelope_id) as package:
            if to_stdout:
                with open(package.path, "rb") as source:
                    shutil.copyfileobj(source, sys.stdout.buffer)
                sys.stdout.buffer.flush()
            else:
                _copy(Path(package.path), output)
            return package.size

    size = run_with_container(export)
    if not to_stdout:
        emit(as_json, {"envelope_id": envelope_id, "output": str(output), "size": size},
             f"{envelope_id}: evidence package written to {output} ({size} bytes)")


def _copy(source: Path, output: Path) -> None:
    # Written beside the target and renamed: a failed export never leaves half a ZIP under its name.
    partial = output.with_name(f".{output.name}.partial")
    try:
        shutil.copyfile(source, partial)
        partial.replace(output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        fail(f"cannot write {output}: {error.strerror or error}")
