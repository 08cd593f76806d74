"""`undersign serve`: the API and the signing page."""

from __future__ import annotations

import click

from undersign.entrypoints.cli.common import emit, fail, json_option, load_settings, prepare_database


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@json_option
def serve(host: str, port: int, as_json: bool) -> None:
    """Serve the API (and the signing page) on the embedded default or the configured services."""
    import uvicorn

    from undersign.entrypoints.container import build_container, ready_to_sign
    from undersign.entrypoints.http.app import create_app
    from undersign.entrypoints.http.security_headers import MAX_REQUEST_HEAD_BYTES
    from undersign.entrypoints.settings import SettingsError

    settings = load_settings()
    prepare_database(settings)
    container = build_container(settings)
    try:
        ready_to_sign(container)  # loads the seal key: a wrong file, password or PIN stops here
    except SettingsError as error:
        fail(str(error))
    app = create_app(container)
    url = f"http://{host}:{port}"
    emit(
        as_json,
        {"status": "serving", "url": url, "data_dir": str(settings.data_dir)},
        f"Undersign serving on {url} (data in {settings.data_dir})\n"
        "No API key yet? In another shell: undersign tenant create acme && "
        "undersign apikey create --tenant acme --role admin",
    )
    # h11, not httptools (uvicorn's pick when installed): httptools buffers a request head of
    # any size, h11 cuts an unfinished one off at a bound (400); the app refuses large headers (431).
    # No Server banner: it tells a scanner which server and version to try.
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False,
        http="h11", h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES, server_header=False,
    )
