"""Run :func:`recipe.asyppo.tools.learning_report.main` (see the package docstring)."""

import sys

from recipe.asyppo.tools.learning_report import main

sys.exit(main())
