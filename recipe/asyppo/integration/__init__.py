"""The verl integration of AsyPPO: the V1 trainer subclass, the critic ensemble worker, the losses, the ``asyppo:``
and ``budget:`` config, the launch preparation, the run's metric history and the greedy validation agent loop.

Imports :mod:`recipe.asyppo.core` (the rules) and :mod:`recipe.asyppo.verl_compat` (verl's internals); uses verl
only through public extension points otherwise. This ``__init__`` imports nothing.
"""
