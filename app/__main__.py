"""Entry point: ``python -m app`` (see :mod:`app.cli`)."""

import sys

from app.cli import main

sys.exit(main())
