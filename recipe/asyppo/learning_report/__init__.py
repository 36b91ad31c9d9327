"""``python -m recipe.asyppo.learning_report``: an alias of :mod:`recipe.asyppo.tools.learning_report`, kept so that
commands written before the tools moved into ``tools/`` keep working. Import from the tools module."""
