"""Entry point: ``python -m app`` (see :mod:`app.cli`; :func:`app.cli.run` ends quietly when a
reader closes standard output early)."""

import sys

from app.cli import run

sys.exit(run())
