"""``python -m jobs``: the job process (see :mod:`jobs.scheduler`)."""

import sys

from jobs.scheduler import main

sys.exit(main())
