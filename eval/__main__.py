"""Entry point: ``python -m eval {run,score,compare} ...``."""

import sys

from eval.cli import main

sys.exit(main())
