"""Training-set preparation: rebuild a small RL math set (the paper's 5,000 problems) from open pools, with a manifest.

``python -m data_prep build --source NAME_OR_PATH [--source ...] --n 5000 --seed 0 --benchmark-dir DIR --out OUT``
reads the pools (:mod:`data_prep.sources`), removes invalid rows, empty/over-long problems, proofs and multi-part
questions, golds the ``rewards`` verifier cannot read back, exact and near duplicates, and problems sharing a word
13-gram with any ``eval`` benchmark (:mod:`data_prep.filters`, :mod:`data_prep.decontaminate`), draws a held-out
validation set and the training set with one seeded generator (:mod:`data_prep.sampling`), and writes verl's RL
parquet (:mod:`data_prep.writer`) plus ``manifest.json`` (:mod:`data_prep.build`).
``python -m data_prep inspect OUT`` prints the manifest summary and a few rows.

Prompt templates (:mod:`eval.prompts`) and the benchmark registry (:mod:`eval.benchmarks`) come from ``eval``, so
training questions read the same as evaluation questions; ``eval`` never imports ``data_prep``. The package imports
nothing on its own; import ``data_prep.build`` for the Python API (``BuildOptions``, ``build``).
"""
