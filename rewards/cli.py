"""Command line: ``python -m rewards score`` (a JSONL file of responses) and ``python -m rewards check``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rewards.jsonl import get_dotted, read_json_objects
from rewards.scoring import DEFAULT_TIMEOUT_S, score, score_batch

_MISSING = object()


class InputError(Exception):
    """Bad input file content; the message names the file and line."""


def read_rows(path: Path, response_field: str, gold_field: str) -> tuple[list[dict], list, list]:
    """(rows, responses, golds) from a JSONL file; raises ``InputError`` naming the file and line on bad input."""
    rows, responses, golds = [], [], []
    with path.open(encoding="utf-8") as handle:
        numbered_rows = read_json_objects(handle, str(path), InputError)
    for line_number, row in numbered_rows:
        for field in (response_field, gold_field):
            if get_dotted(row, field, _MISSING) is _MISSING:
                raise InputError(f"{path}:{line_number}: missing field {field!r} (keys: {sorted(row)})")
        rows.append(row)
        responses.append(get_dotted(row, response_field))
        golds.append(get_dotted(row, gold_field))
    return rows, responses, golds


def _score_command(args: argparse.Namespace) -> int:
    rows, responses, golds = read_rows(Path(args.responses), args.response_field, args.gold_field)
    verdicts = score_batch(
        responses,
        golds,
        workers=args.workers,
        timeout_s=args.timeout_s,
        fallback=args.fallback,
        multi_box=args.multi_box,
        plain_number=args.plain_number,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for row, verdict in zip(rows, verdicts, strict=True):
            row = {
                **row,
                "correct": verdict.correct,
                "extracted_answer": verdict.answer,
                "reason": verdict.reason,
                "answer_source": verdict.source,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    correct = sum(v.correct for v in verdicts)
    print(f"{correct}/{len(verdicts)} correct; wrote {out}")
    return 0


def _check_command(args: argparse.Namespace) -> int:
    options = {"timeout_s": args.timeout_s, "fallback": args.fallback, "multi_box": args.multi_box,
               "plain_number": args.plain_number}
    verdict = score(args.response, args.gold, **options)
    print(
        f"{'correct' if verdict.correct else 'incorrect'} ({verdict.reason}); "
        f"extracted answer: {verdict.answer!r} (from {verdict.source or 'nowhere'})"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rewards", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    score_parser = commands.add_parser("score", help="judge every row of a JSONL file of responses")
    score_parser.add_argument("--responses", required=True, help="input JSONL, one response per row")
    score_parser.add_argument(
        "--out",
        required=True,
        help="output JSONL: each row plus correct, extracted_answer, reason, answer_source",
    )
    score_parser.add_argument("--response-field", default="response", help="field holding the response (a.b nests)")
    score_parser.add_argument("--gold-field", default="gold", help="field holding the gold answer (a.b nests)")
    score_parser.add_argument("--workers", type=int, default=2, help="verifier worker processes (default 2)")
    score_parser.add_argument("--timeout-s", type=float, default=DEFAULT_TIMEOUT_S,
                              help=f"time limit per verdict (default {DEFAULT_TIMEOUT_S:g})")
    _add_extraction_flags(score_parser)
    score_parser.set_defaults(run=_score_command)
    check_parser = commands.add_parser("check", help="judge one response against one gold")
    check_parser.add_argument("gold")
    check_parser.add_argument("response")
    check_parser.add_argument("--timeout-s", type=float, default=DEFAULT_TIMEOUT_S,
                              help=f"time limit (default {DEFAULT_TIMEOUT_S:g})")
    _add_extraction_flags(check_parser)
    check_parser.set_defaults(run=_check_command)
    return parser


def _add_extraction_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-fallback",
        dest="fallback",
        action="store_false",
        help="no answer unless boxed, stated after an answer phrase or on a #### line (default: read the last number "
        "of the last sentence as a fallback)",
    )
    parser.add_argument(
        "--last-box-only",
        dest="multi_box",
        action="store_false",
        help="the last box is the answer even when the gold has several answers (default: several boxes together)",
    )
    parser.add_argument(
        "--plain-number",
        action="store_true",
        help="a plain-number gold needs a plain-number answer: unevaluated arithmetic such as '87 * 2' for 174 is "
        "wrong (default: accepted as numeric)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (InputError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
