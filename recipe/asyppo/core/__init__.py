"""The AsyPPO rules and metrics as pure tensor functions: no verl, Ray or TransferQueue import (tests enforce it).

- :mod:`.algorithm`: ensemble value, sigma, the two sigma masks, critic shards, GAE on the ensemble.
- :mod:`.metrics`: the per-step ``asyppo/*`` metrics.
- :mod:`.token_classes`: digit / special / other class of every token id (what the advantage mask removes).
"""
