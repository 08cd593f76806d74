"""The README's table of roles and permissions is the one the application enforces, and it names
every route under the permission it needs (read from the app's own route table)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.stack import settings_for
from undersign.application.access.permissions import SUMMARIES, Permission, allows
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container
from undersign.entrypoints.http.app import create_app
from undersign.entrypoints.http.guards import PERMISSION

README = Path(__file__).parents[2] / "README.md"
BEGIN, END = "<!-- permissions:begin -->", "<!-- permissions:end -->"


def permission_tables(app: Any) -> str:
    """The two tables, as the README has them between its markers."""
    routes: dict[Permission, list[tuple[str, str]]] = {p: [] for p in Permission}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if PERMISSION in handler.opt:
                path = re.sub(r":\w+\}", "}", route.path)
                routes[handler.opt[PERMISSION]] += [(path, m) for m in handler.http_methods - {"OPTIONS"}]
    roles = list(AccessRole)
    lines = [
        "| permission | allows | " + " | ".join(r.value for r in roles) + " |",
        "|---|---|" + "---|" * len(roles),
        *(
            f"| `{p.value}` | {SUMMARIES[p]} | " + " | ".join("✓" if allows(r, p) else "" for r in roles) + " |"
            for p in Permission
        ),
        "",
        "| permission | routes that need it |",
        "|---|---|",
        *(f"| `{p.value}` | {', '.join(f'`{m} {path}`' for path, m in sorted(routes[p]))} |" for p in Permission),
    ]
    return "\n".join(lines)


def test_the_readme_shows_the_permission_table_the_application_enforces(tmp_path: Path) -> None:
    app = create_app(build_container(settings_for(tmp_path / "data")))
    text = README.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"the README lacks {BEGIN} ... {END}"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = permission_tables(app)
    assert shown == expected, f"put this between the README's permission markers:\n\n{expected}\n"
