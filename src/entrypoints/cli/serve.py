"""`undersign serve`: the API and the signing page, in one process or several on one port.

With `--workers N`, uvicorn starts N processes that accept on the same socket, each building
its app from the environment (app_of_a_worker). What they share goes through the database,
the data directory or Redis, never a process's memory: jobs are leased in the database, the
installation's secret is one file, throttling counts in a file they share
(UNDERSIGN_API_PROCESSES tells them how many they are) unless Redis keeps them, and each
process claims a CPU of its own with a lock file (adapters/system/cpu_affinity.py).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from undersign.entrypoints.cli.common import (
    emit,
    fail,
    json_option,
    load_settings,
    prepare_database,
    settle_server_process,
)

if TYPE_CHECKING:
    from litestar import Litestar


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="API processes serving the one port (each also runs background jobs on the embedded default).")
@json_option
def serve(host: str, port: int, workers: int, as_json: bool) -> None:
    """Serve the API (and the signing page) on the embedded default or the configured services."""
    import uvicorn

    from undersign.entrypoints.container import build_container, ready_to_sign
    from undersign.entrypoints.http.app import create_app
    from undersign.entrypoints.http.security_headers import MAX_REQUEST_HEAD_BYTES
    from undersign.entrypoints.settings import SettingsError

    if workers > 1:
        os.environ["UNDERSIGN_API_PROCESSES"] = str(workers)  # read by each worker process's settings
    settings = load_settings()
    prepare_database(settings)
    container = build_container(settings)
    try:
        # Loads the seal key: a wrong file, password or PIN stops here. Also makes, once and before
        # any worker starts, what the embedded default keeps under the data directory (its PKI).
        ready_to_sign(container)
    except SettingsError as error:
        fail(str(error))
    url = f"http://{host}:{port}"
    emit(
        as_json,
        {"status": "serving", "url": url, "data_dir": str(settings.data_dir), "workers": workers},
        f"Undersign serving on {url} (data in {settings.data_dir})\n"
        "No API key yet? In another shell: undersign tenant create acme && "
        "undersign apikey create --tenant acme --role admin",
    )
    # h11, not httptools (uvicorn's pick when installed): httptools buffers a request head of
    # any size, h11 cuts an unfinished one off at a bound (400); the app refuses large headers (431).
    # No Server banner: it tells a scanner which server and version to try.
    options = {
        # uvicorn's records go through ours (log_config=None), from WARNING up.
        "host": host, "port": port, "log_config": None, "log_level": "warning", "access_log": False,
        "http": "h11", "h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES, "server_header": False,
    }
    if workers == 1:
        app = create_app(container)
        settle_server_process(settings)
        uvicorn.run(app, **options)
    else:
        uvicorn.run(f"{__name__}:app_of_a_worker", factory=True, workers=workers, **options)


def app_of_a_worker() -> Litestar:
    """The app of one of `serve --workers`'s processes, from the environment the command checked."""
    from undersign.entrypoints.container import build_container
    from undersign.entrypoints.http.app import create_app

    settings = load_settings()
    app = create_app(build_container(settings))
    settle_server_process(settings)
    return app
