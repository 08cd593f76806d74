"""Files a page of ours loads (scripts, stylesheets, pdf.js), served by Undersign itself: our pages'
Content-Security-Policy allows nothing from another host, and an offline installation has none.

A page links each file with its content's digest (`?v=`), so a browser may keep it for good; asked
for without that version (or an old one), it must check again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from litestar import Response
from litestar.exceptions import NotFoundException

FOREVER = "public, max-age=31536000, immutable"


class StaticAssets:
    """`files`: the name each file is asked for by → (its path under `directory`, its media type)."""

    def __init__(self, directory: Path, files: dict[str, tuple[str, str]], *, url_prefix: str, what: str) -> None:
        self._files = {name: ((directory / path).read_bytes(), media_type) for name, (path, media_type) in files.items()}
        self._versions = {name: hashlib.sha256(content).hexdigest()[:16] for name, (content, _) in self._files.items()}
        self.urls = {name: f"{url_prefix}/{name}?v={version}" for name, version in self._versions.items()}
        self._what = what

    def response(self, name: str, version: str | None) -> Response[bytes]:
        """The file (Litestar adds "; charset=utf-8" to text types), cacheable for good at the version linked."""
        if name not in self._files:
            raise NotFoundException(detail=f"{self._what} has no such asset")
        content, media_type = self._files[name]
        cache = FOREVER if version == self._versions[name] else "no-cache"
        return Response(content=content, media_type=media_type, headers={"Cache-Control": cache})
