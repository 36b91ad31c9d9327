"""Command line: ``python -m data_prep build ...``, ``python -m data_prep arithmetic ...`` and
``python -m data_prep inspect DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data_prep.arithmetic import DEFAULT_LEVELS, LEVELS, SHORT_ANSWER_TEMPLATE, build_arithmetic
from data_prep.build import BuildOptions, build
from data_prep.decontaminate import DEFAULT_BOILERPLATE_PROBLEMS, DEFAULT_NGRAM
from data_prep.filters import FilterOptions
from data_prep.inspect_dir import summary
from data_prep.records import DataPrepError
from data_prep.sampling import STRATA
from data_prep.sources import DEFAULT_SOURCE, HUB_ADAPTERS, FieldMap
from eval.prompts import DEFAULT_TEMPLATE


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m data_prep", description="Build and inspect RL training sets.")
    commands = main.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build train.parquet, val.parquet and manifest.json")
    build_cmd.add_argument(
        "--source", action="append", dest="sources",
        help=f"local parquet/jsonl/json file or Hub name (built in: {', '.join(HUB_ADAPTERS)}); repeat to mix; "
        f"default {DEFAULT_SOURCE}",
    )
    build_cmd.add_argument("--out", type=Path, required=True, help="output directory")
    build_cmd.add_argument("--n", type=int, default=5000, help="training problems (default 5000)")
    build_cmd.add_argument("--val-n", type=int, default=500, help="held-out validation problems (default 500)")
    build_cmd.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    build_cmd.add_argument("--template", default=DEFAULT_TEMPLATE, help=f"prompt template (default {DEFAULT_TEMPLATE})")
    build_cmd.add_argument("--problem-field", help="problem field of local files (dotted; default: verl schema or "
                           "'problem')")
    build_cmd.add_argument("--answer-field", default="answer", help="answer field of local files (default 'answer')")
    build_cmd.add_argument("--difficulty-field", help="difficulty field of local files (optional)")
    build_cmd.add_argument("--subject-field", help="subject field of local files (optional)")
    build_cmd.add_argument("--split", default="train", help="Hub split (default train)")
    build_cmd.add_argument("--revision", help="Hub revision (default: latest)")
    build_cmd.add_argument("--max-problem-chars", type=int, default=3000, help="longest problem kept (default 3000)")
    build_cmd.add_argument("--min-difficulty", type=float, help="lowest difficulty kept, on the source's scale")
    build_cmd.add_argument("--max-difficulty", type=float, help="highest difficulty kept, on the source's scale")
    benchmark_source = build_cmd.add_mutually_exclusive_group()
    benchmark_source.add_argument("--benchmark-dir", type=Path, help="directory with <benchmark>/test.jsonl "
                                  "(default: the files shipped in eval/data)")
    benchmark_source.add_argument("--benchmark-hub", action="store_true",
                                  help="load the benchmarks from the Hugging Face Hub instead")
    build_cmd.add_argument("--benchmarks", type=_names, default=(), help="comma list to decontaminate against "
                           "(default: every benchmark in eval)")
    build_cmd.add_argument("--ngram", type=int, default=DEFAULT_NGRAM, help=f"n-gram size (default {DEFAULT_NGRAM})")
    build_cmd.add_argument(
        "--boilerplate-problems", type=int, default=DEFAULT_BOILERPLATE_PROBLEMS,
        help="ignore n-grams found in this many benchmark problems or more, as answer-format boilerplate "
        f"(default {DEFAULT_BOILERPLATE_PROBLEMS}: ignore none)",
    )
    build_cmd.add_argument("--no-decontaminate", action="store_true", help="skip decontamination (recorded)")
    build_cmd.add_argument("--stratify", type=_names, default=(), help=f"comma list of {', '.join(STRATA)}")
    build_cmd.add_argument("--strict", action="store_true", help="fail on the first invalid row instead of counting")
    build_cmd.add_argument("--no-progress", action="store_true", help="no progress bars")
    arith_cmd = commands.add_parser("arithmetic", help="write a synthetic arithmetic train/val set of graded "
                                    "difficulty (data_prep/arithmetic.py)")
    arith_cmd.add_argument("--out", type=Path, required=True, help="output directory")
    arith_cmd.add_argument("--train", type=int, default=512, help="training problems (default 512)")
    arith_cmd.add_argument("--val", type=int, default=100, help="validation problems (default 100)")
    arith_cmd.add_argument("--levels", type=_names, default=DEFAULT_LEVELS,
                           help=f"comma list, in equal shares (default {','.join(DEFAULT_LEVELS)}; "
                           f"known: {','.join(LEVELS)})")
    arith_cmd.add_argument("--template", default=SHORT_ANSWER_TEMPLATE,
                           help=f"prompt template (default {SHORT_ANSWER_TEMPLATE})")
    arith_cmd.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    arith_cmd.add_argument("--source", help="one data_source for every row (default: arith_<level> per level)")
    inspect_cmd = commands.add_parser("inspect", help="print a build directory's manifest summary and a few rows")
    inspect_cmd.add_argument("out", type=Path)
    inspect_cmd.add_argument("--rows", type=int, default=3, help="example rows to print (default 3)")
    return main


def options_from_args(args: argparse.Namespace) -> BuildOptions:
    """The :class:`BuildOptions` a parsed ``build`` command line asks for."""
    return BuildOptions(
        out=args.out,
        sources=tuple(args.sources or (DEFAULT_SOURCE,)),
        n=args.n,
        val_n=args.val_n,
        seed=args.seed,
        template=args.template,
        fields=FieldMap(args.problem_field, args.answer_field, args.difficulty_field, args.subject_field),
        split=args.split,
        revision=args.revision,
        filters=FilterOptions(args.max_problem_chars, args.min_difficulty, args.max_difficulty),
        decontaminate=not args.no_decontaminate,
        benchmark_dir=args.benchmark_dir,
        benchmark_hub=args.benchmark_hub,
        benchmarks=args.benchmarks,
        ngram=args.ngram,
        boilerplate_problems=args.boilerplate_problems,
        stratify=args.stratify,
        strict=args.strict,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "build":
            manifest = build(options_from_args(args), progress=not args.no_progress)
            print(summary(args.out, rows=0))
            counts = manifest["counts"]
            print(f"wrote {counts['train']} train and {counts['val']} val problems to {args.out}")
        elif args.command == "arithmetic":
            train, val = build_arithmetic(args.out, args.train, args.val, args.levels, args.seed, args.template,
                                          args.source)
            print(f"wrote {args.train} train problems to {train} and {args.val} val problems to {val}")
        else:
            print(summary(args.out, rows=args.rows))
    except DataPrepError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
