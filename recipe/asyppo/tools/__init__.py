"""Tools around the recipe, each with its own CLI: the cost model (``tools.cost``), model conversion
(``tools.models``: SmolLM2 actor and mini-critics from a GGUF), tiny random models and data for CPU runs
(``tools.tiny_models``, ``tools.tiny_data``), the process-tree memory monitor (``tools.proc_monitor``) and the learning
report of the CPU study (``tools.learning_report``) and its bookkeeping (``tools.study``: run records, final actor as
a Hugging Face model, the study's CSV files). They may import :mod:`recipe.asyppo.core` and
:mod:`recipe.asyppo.integration` (the metric history), never the other way round. This ``__init__`` imports nothing.
"""
