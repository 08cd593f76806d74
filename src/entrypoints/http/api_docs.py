"""The API's docs page: Swagger UI at /schema (and /schema/swagger), served by Undersign itself.

Litestar's own render plugins link their scripts, stylesheets and favicon from CDNs and start
them with an inline script: on a host without internet the page stays blank. This page links
Swagger UI's bundle and stylesheet (vendored from npm into static/docs/swagger-ui, see its
README) and a start script of ours (static/docs/api-docs.js), all from this origin, at their
content's digest so that a browser may keep them for good, under a Content-Security-Policy that
allows nothing else: no inline script or style, no other origin. The page asks for the schema
at /schema/openapi.json rather than holding it inline.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath, FromQuery

from undersign.entrypoints.http.static_assets import StaticAssets

DOCS_PATH = "/schema"  # the OpenAPI router's: the page, /schema/openapi.json, and the assets below
ASSETS_PATH = "/assets"

STATIC = Path(__file__).parent / "static" / "docs"
ASSET_FILES = {
    "swagger-ui-bundle.js": ("swagger-ui/swagger-ui-bundle.js", "text/javascript"),  # Litestar adds "; charset=utf-8"
    "swagger-ui.css": ("swagger-ui/swagger-ui.css", "text/css"),
    "api-docs.js": ("api-docs.js", "text/javascript"),
}
ASSETS = StaticAssets(STATIC, ASSET_FILES, url_prefix=f"{DOCS_PATH}{ASSETS_PATH}", what="the docs page")
ASSET_URLS = ASSETS.urls

# What Swagger UI does: its scripts and stylesheet from here, the schema and "Try it out" requests
# to this origin, the stylesheet's icons as data: URIs, forms that never leave the page.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PUBLIC_ASSETS = "the docs page's scripts and stylesheet say nothing about anyone"


class SwaggerPage(OpenAPIRenderPlugin):
    """Swagger UI with every asset from this origin (Litestar's SwaggerRenderPlugin links a CDN)."""

    def __init__(self, *, path: str = "/swagger") -> None:
        super().__init__(path=path)

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = escape(f"{openapi_schema['info']['title']} API")
        schema_url = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{ASSET_URLS['swagger-ui.css']}">
<script src="{ASSET_URLS['swagger-ui-bundle.js']}" defer></script>
<script src="{ASSET_URLS['api-docs.js']}" defer></script>
</head>
<body>
<div id="swagger-ui" data-openapi-url="{schema_url}"></div>
<noscript><p>The schema itself: <a href="{schema_url}">{schema_url}</a></p></noscript>
</body>
</html>
""".encode()


@get(f"{ASSETS_PATH}/{{name:str}}", sync_to_thread=False, public=PUBLIC_ASSETS)
def docs_asset(name: FromPath[str], v: FromQuery[str | None] = None) -> Response[bytes]:
    """The docs page's scripts and stylesheet; at the version the page links, cacheable for good."""
    return ASSETS.response(name, v)


def docs_router() -> Router:
    """The router Litestar adds the docs page and the schema to (OpenAPIConfig.openapi_router), with the assets."""
    return Router(
        DOCS_PATH,
        route_handlers=[docs_asset],
        include_in_schema=False,
        response_headers=[
            ResponseHeader(name="Content-Security-Policy", value=DOCS_CSP),
            ResponseHeader(name="X-Frame-Options", value="DENY"),
        ],
    )
