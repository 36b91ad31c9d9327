"""``python -m eval {run,score,compare}``: evaluate a model, score generations made elsewhere, compare runs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from eval.benchmarks import load_benchmark, resolve_benchmark_names
from eval.generation import BACKENDS, MAX_RESPONSE_TOKENS, GenerationBackend, SamplingConfig, resolve_backend_name
from eval.prompts import DEFAULT_TEMPLATE, TEMPLATES
from eval.records import SAMPLES_FILE, SampleRecord, append_samples
from eval.report import bar_chart, comparison_table, compute_results, load_run, results_table, write_results
from eval.runner import RunSettings, run_eval
from eval.scoring import DEFAULT_TIMEOUT_S, score_responses
from rewards.jsonl import read_json_objects


def _default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _add_data_source_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data-dir", help="directory with <folder>/test.jsonl per benchmark "
                        "(default: the files shipped in eval/data)")
    source.add_argument("--hub", action="store_true", help="load the benchmarks from the Hugging Face Hub instead")


def _add_run_parser(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="generate, score and report a model on benchmarks")
    run.add_argument("--model", required=True, help="model directory or Hugging Face Hub id")
    run.add_argument("--benchmarks", default="paper",
                     help="comma list of names, 'paper' / 'all', or paths of *.parquet / *.jsonl files in verl's RL "
                          "schema, e.g. data_prep's val.parquet (default: paper)")
    run.add_argument("--out", required=True, type=Path, help="run directory (resumed if it exists)")
    _add_data_source_options(run)
    run.add_argument("--limit", type=int, help="only the first N problems of each benchmark (quick runs)")
    run.add_argument("--n", type=int, default=4, help="samples per problem (default 4: avg@4 as in the paper)")
    run.add_argument("--temperature", type=float, default=0.6, help="0 = greedy (default 0.6)")
    run.add_argument("--top-p", type=float, default=0.95, help="nucleus mass (default 0.95)")
    run.add_argument("--max-tokens", type=int, default=MAX_RESPONSE_TOKENS,
                     help=f"most new tokens per sample (default {MAX_RESPONSE_TOKENS}, the training scripts' "
                          "response length, MAX_RESPONSE_LENGTH)")
    run.add_argument("--seed", type=int, default=0, help="base seed; per-problem seeds derive from it")
    run.add_argument("--stop", action="append", default=[], help="stop string (repeatable)")
    run.add_argument("--template", default=DEFAULT_TEMPLATE, choices=sorted(TEMPLATES),
                     help=f"prompt template, shared with data_prep (default {DEFAULT_TEMPLATE}, as training data is "
                          "built)")
    run.add_argument("--chat-template", default="on", choices=["on", "off"],
                     help="apply the tokenizer's chat template to the template's messages, as verl's training does "
                          "(default on); off: the template's user message as plain text, for models without a chat "
                          "template")
    run.add_argument("--chat-template-kwargs", type=_json_object, default={},
                     help="JSON object of extra apply_chat_template arguments, as verl's "
                          "data.apply_chat_template_kwargs in the training config "
                          "(e.g. '{\"enable_thinking\": false}')")
    run.add_argument("--backend", default="auto", choices=BACKENDS, help="auto: vllm if importable and CUDA, else hf")
    run.add_argument("--tensor-parallel-size", type=int, default=1, help="vllm: GPUs per model")
    run.add_argument("--gpu-memory-utilization", type=float, default=0.9, help="vllm: GPU memory fraction")
    run.add_argument("--max-model-len", type=int, help="vllm: context length cap")
    run.add_argument("--dtype", help="model dtype (vllm default auto; hf default bfloat16 on GPU, float32 on CPU)")
    run.add_argument("--batch-size", type=int, default=8, help="hf: sequences per generate call")
    run.add_argument("--chunk-problems", type=int,
                     help="problems per generate call and per flush to samples.jsonl (default: vllm all in one call; "
                          "hf max(1, batch_size // n))")
    run.add_argument("--workers", type=int, default=_default_workers(), help="verifier processes")
    run.add_argument("--timeout-s", type=float, default=DEFAULT_TIMEOUT_S, help="per-response verifier time limit")
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _add_score_parser(commands: argparse._SubParsersAction) -> None:
    score = commands.add_parser("score", help="score generations made elsewhere (a JSONL file)")
    score.add_argument("--responses", required=True, type=Path, help="JSONL file, one response per line")
    score.add_argument("--response-field", default="response", help="field holding the response (default response)")
    score.add_argument("--gold-field", help="field holding the gold answer")
    score.add_argument("--benchmark", help="take golds from this benchmark (with --id-field)")
    score.add_argument("--benchmark-field", help="field naming each row's benchmark (with --id-field)")
    score.add_argument("--id-field", help="field holding the problem id; rows with one id are samples of one problem")
    score.add_argument("--sample-field", help="field holding the sample index (default: order within the problem)")
    score.add_argument("--finish-field", default="finish_reason",
                       help="field holding the finish reason, if present (default finish_reason)")
    _add_data_source_options(score)
    score.add_argument("--out", type=Path, help="write samples.jsonl and results.{json,md,png} here")
    score.add_argument("--workers", type=int, default=_default_workers(), help="verifier processes")
    score.add_argument("--timeout-s", type=float, default=DEFAULT_TIMEOUT_S, help="per-response verifier time limit")
    score.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _add_compare_parser(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser("compare", help="side-by-side table of several run directories")
    compare.add_argument("runs", nargs="+", type=Path, help="run directories holding results.json")
    compare.add_argument("--metric", default="avg", help="avg, maj, pass (at each run's k) or a key like pass@1")
    compare.add_argument("--png", type=Path, help="also write a grouped bar chart here")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_run_parser(commands)
    _add_score_parser(commands)
    _add_compare_parser(commands)
    return parser


def _backend_factory(args: argparse.Namespace, backend: str, add_special_tokens: bool):
    def make() -> GenerationBackend:
        if backend == "vllm":
            from eval.vllm_backend import VLLMBackend

            return VLLMBackend(
                args.model,
                tensor_parallel_size=args.tensor_parallel_size,
                gpu_memory_utilization=args.gpu_memory_utilization,
                max_model_len=args.max_model_len,
                dtype=args.dtype or "auto",
                add_special_tokens=add_special_tokens,
                show_progress=not args.no_progress,
            )
        from eval.hf_backend import HFBackend

        return HFBackend(
            args.model,
            batch_size=args.batch_size,
            dtype=args.dtype,
            add_special_tokens=add_special_tokens,
            show_progress=not args.no_progress,
        )

    return make


def command_run(args: argparse.Namespace) -> dict[str, Any]:
    backend = resolve_backend_name(args.backend)
    sampling = SamplingConfig(
        n=args.n, temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens, seed=args.seed,
        stop=tuple(args.stop),
    )
    chat_template = args.chat_template == "on"
    settings = RunSettings(
        model=str(args.model),
        benchmarks=tuple(resolve_benchmark_names(args.benchmarks)),
        sampling=sampling,
        template=args.template,
        chat_template=chat_template,
        backend=backend,
        limit=args.limit,
        data_dir=args.data_dir,
        chat_template_kwargs=args.chat_template_kwargs,
        hub=args.hub,
    )
    chunk = args.chunk_problems
    if chunk is None and backend == "hf":
        chunk = max(1, args.batch_size // args.n)
    results = run_eval(
        settings,
        args.out,
        _backend_factory(args, backend, add_special_tokens=not chat_template),
        chunk_problems=chunk,
        workers=args.workers,
        timeout_s=args.timeout_s,
        show_progress=not args.no_progress,
    )
    print(results_table(results), end="")
    print(f"wrote {args.out / SAMPLES_FILE}, results.json, results.md, results.png")
    return results


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise FileNotFoundError(f"--responses file {path} not found")
    with path.open(encoding="utf-8") as handle:
        return [row for _, row in read_json_objects(handle, str(path))]


def _require(row: dict[str, Any], field: str, where: str, option: str) -> Any:
    if field not in row:
        raise ValueError(f"{where}: field '{field}' ({option}) is missing; row has {', '.join(sorted(row))}")
    return row[field]


def records_from_rows(rows: list[dict[str, Any]], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Rows -> dicts with benchmark, problem_id, sample_index, prompt, response, finish_reason and gold.

    Raises:
        ValueError: no way to find golds, a missing field or an unknown problem id (names row and field).
    """
    if not (args.gold_field or args.benchmark or args.benchmark_field):
        raise ValueError("say where golds come from: --gold-field, or --benchmark/--benchmark-field with --id-field")
    if (args.benchmark or args.benchmark_field) and not args.gold_field and not args.id_field:
        raise ValueError("--benchmark/--benchmark-field need --id-field to look up each row's problem")
    gold_tables: dict[str, dict[str, str]] = {}
    next_sample: dict[tuple[str, str], int] = defaultdict(int)
    records = []
    for line_number, row in enumerate(rows, start=1):
        where = f"{args.responses} row {line_number}"
        if args.benchmark_field:
            benchmark = str(_require(row, args.benchmark_field, where, "--benchmark-field"))
        else:
            benchmark = args.benchmark or "responses"
        problem_id = str(_require(row, args.id_field, where, "--id-field")) if args.id_field else str(line_number)
        if args.gold_field:
            gold = str(_require(row, args.gold_field, where, "--gold-field"))
        else:
            if benchmark not in gold_tables:
                gold_tables[benchmark] = {p.id: p.gold for p in load_benchmark(benchmark, args.data_dir, hub=args.hub)}
            if problem_id not in gold_tables[benchmark]:
                raise ValueError(f"{where}: benchmark '{benchmark}' has no problem with id '{problem_id}'")
            gold = gold_tables[benchmark][problem_id]
        if args.sample_field:
            sample_index = int(_require(row, args.sample_field, where, "--sample-field"))
        else:
            sample_index = next_sample[(benchmark, problem_id)]
            next_sample[(benchmark, problem_id)] += 1
        response = _require(row, args.response_field, where, "--response-field")
        records.append(
            {
                "benchmark": benchmark,
                "problem_id": problem_id,
                "sample_index": sample_index,
                "prompt": str(row.get("prompt", "")),
                "response": "" if response is None else str(response),
                "finish_reason": str(row.get(args.finish_field) or "stop"),
                "gold": gold,
            }
        )
    return records


def command_score(args: argparse.Namespace) -> dict[str, Any]:
    rows = records_from_rows(_read_rows(args.responses), args)
    verdicts = score_responses(
        [row["response"] for row in rows], [row["gold"] for row in rows], workers=args.workers,
        timeout_s=args.timeout_s, show_progress=not args.no_progress,
    )
    records = [
        SampleRecord(**row, answer=verdict.answer, correct=bool(verdict.correct), reason=verdict.reason,
                     answer_source=verdict.source)
        for row, verdict in zip(rows, verdicts, strict=True)
    ]
    run = {"responses": str(args.responses), "benchmarks": list(dict.fromkeys(r.benchmark for r in records))}
    results = compute_results(records, run)
    print(results_table(results), end="")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        samples_path = args.out / SAMPLES_FILE
        samples_path.unlink(missing_ok=True)
        append_samples(samples_path, records)
        write_results(args.out, results, label=args.responses.stem)
        print(f"wrote {samples_path}, results.json, results.md, results.png")
    return results


def command_compare(args: argparse.Namespace) -> str:
    labels = [run.name for run in args.runs]
    if len(set(labels)) != len(labels):
        labels = [str(run) for run in args.runs]
    runs = [(label, load_run(run)) for label, run in zip(labels, args.runs, strict=True)]
    table = comparison_table(runs, metric=args.metric)
    print(table, end="")
    if args.png:
        bar_chart(runs, args.png, metric=args.metric)
        print(f"wrote {args.png}")
    return table


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"run": command_run, "score": command_score, "compare": command_compare}[args.command]
    try:
        command(args)
    except (ValueError, FileNotFoundError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
