"""Benchmark evaluation for math reasoning checkpoints: avg@k, unbiased pass@k and maj@k.

Commands (``python -m eval ...``):

- ``run --model PATH --benchmarks paper --n 4 --out DIR [--data-dir DIR | --hub] [--limit N]``: generate with vLLM
  (GPU, one ``LLM.generate`` call) or transformers (``--backend hf``), score with :mod:`rewards`, and write
  ``samples.jsonl``, ``results.json``, ``results.md`` and ``results.png``. Restarting with the same arguments resumes.
- ``score --responses FILE.jsonl (--gold-field F | --benchmark NAME --id-field F)``: score generations made elsewhere.
- ``compare RUN_DIR... [--png FILE]``: side-by-side table (and bar chart) of several runs.

``eval/run_paper_suite.sh MODEL OUT`` runs the paper's suite (AIME 24/25, MATH-500, OlympiadBench, Minerva, AMC 23)
with avg@4. The benchmark files ship in ``eval/data`` (sources and licences in its README), so runs need no network;
``--data-dir`` reads another copy and ``--hub`` the Hugging Face Hub copies.

Modules: :mod:`eval.benchmarks` (registry and loaders), :mod:`eval.prompts` (prompt templates, shared with
``data_prep``), :mod:`eval.generation` (backend interface), :mod:`eval.hf_backend`, :mod:`eval.vllm_backend`,
:mod:`eval.scoring`, :mod:`eval.metrics`, :mod:`eval.records` (resumable sample store), :mod:`eval.runner`,
:mod:`eval.report`, :mod:`eval.cli`. ``eval`` imports ``rewards`` and never ``data_prep``.
"""
