"""Verifier benchmark: accuracy, false positives/negatives and pairs/s of four verifiers on one labelled set.

The labelled set is built from the shipped benchmark golds (see ``tests/rewards/test_rewards_gold_selfcheck.py`` for
where each benchmark keeps its gold). Each gold yields responses whose label is right by construction:

- ``correct``: the gold itself in ``\\boxed{}`` (label True);
- ``reformatted``: the same value written differently (label True): ``27.0`` -> ``27``, zero padding dropped,
  thousands separators, ``\\frac`` -> ``\\dfrac`` / ``a/b``, trailing decimal zero, ``e`` -> ``\\times 10^{}``,
  spaces removed, ``^\\circ`` dropped, the set of a multi-answer gold in reverse order, and the answer given as
  "The final answer is $...$" instead of a box (for golds that are one math piece);
- ``perturbed``: a different answer (label False): integers and decimals changed in the last digit, a fraction's
  numerator plus one, a base-n numeral read in the next base, an interval with its left bracket flipped, a
  multi-answer set missing an element, an expression plus one, and a response cut off inside its box.

Verifiers, all timed in this one run on the same pairs:
(a) raw Math-Verify ``verify(parse(gold), parse(response))`` in the main thread (its signal timeouts on);
(b) verl's ``verl.utils.reward_score.math_verify.compute_score``;
(c) ``rewards.score`` called pair by pair;
(d) ``rewards.score_batch`` with 2 worker processes.
The verifiers take turns on ten chunks of the set (so load changes on a shared machine affect all of them alike);
the verdict cache is cleared before every chunk, and imports and worker start-up happen before timing.

A second section runs the same verifiers on labelled cases written by other projects' test suites
(``benchmarks/data/public_verifier_cases.jsonl``: Math-Verify's test tables and hendrycks/math's equivalence tests,
data only, sources and licences in ``benchmarks/data/README.md``). There (a) calls Math-Verify the way those tests
call it (the extraction targets and rounding each test passes). Rows whose label we dispute are counted as labelled
and listed with the reason; the table also gives the counts without them.

A third section scores a hostile reward batch: 1,024 responses with 2 workers, of which ``HOSTILE_COUNT`` (5%) are
pathological answers a policy in training produces (power towers, huge factorials, sums to 10^12, thousands of nested
brackets or fractions, a million-digit number) and the rest benign pairs built from MATH-500 golds as above. It reports
the batch's time, how many hostile answers were accepted, their reasons, and whether every benign verdict equals the
verdict of the benign pairs scored alone.

A fourth section measures throughput on 1,000 unique MATH-500 pairs (half correct, half wrong; each response is a
reference solution with its box removed, ending on a boxed answer, so every response text is distinct): raw
Math-Verify against ``rewards.score_batch`` with 2 workers and the verdict cache cleared first, in one run; then the
same batch again, served from the cache, to show the cache's own gain separately.

Usage: ``python benchmarks/verifier_bench.py [--per-benchmark 120] [--seed 0] [--data-dir eval/data]
[--public-cases benchmarks/data/public_verifier_cases.jsonl] [--sections labelled,public,hostile,throughput]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from eval.benchmarks import load_benchmark  # noqa: E402
from rewards import extract_answer, score, score_batch  # noqa: E402
from rewards.extract import last_boxed  # noqa: E402
from rewards.pool import get_pool  # noqa: E402
from rewards.scoring import clear_cache  # noqa: E402

BENCHMARKS = ("math500", "aime24", "aime25", "amc23", "olympiadbench", "minerva_math", "gsm8k")


@dataclass(frozen=True)
class Case:
    benchmark: str
    kind: str  # correct / reformatted / perturbed, or "public"
    gold: object
    response: str
    label: bool
    math_verify: dict | None = None  # public cases: how the source's tests call Math-Verify
    disputed: str | None = None  # public cases: why we think the label is wrong


def read_golds(data_dir: Path, name: str) -> list[object]:
    rows = [json.loads(line) for line in (data_dir / name / "test.jsonl").open(encoding="utf-8")]
    if name == "olympiadbench":
        return [(row["final_answer"][0], row["is_multiple_answer"]) for row in rows]
    if name == "minerva_math":
        return [extract_answer(row["solution"]) for row in rows]
    if name == "gsm8k":
        return [row["answer"].split("####")[-1].strip() for row in rows]
    return [row["answer"] for row in rows]


def _boxed(answer: str) -> str:
    return f"Let me work through it. ... Therefore the answer is $\\boxed{{{answer}}}$."


def _top_level_parts(text: str) -> list[str]:
    """Split a multi-answer gold such as ``$69$,$84$`` or ``(1,2),(3,4)`` at its top-level commas."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


_INTEGER = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?\d*\.\d+$")
_FRACTION = re.compile(r"^(-?)\\frac\{(\d+)\}\{(\d+)\}$")
_BASE_N = re.compile(r"^([1-9][0-9]+)_\{?(\d+)\}?$")
_SCI = re.compile(r"^(\d+(?:\.\d+)?)e(-?\d+)$")


def variants(gold: str, multi: bool) -> list[tuple[str, str, bool]]:
    """(kind, response, label) for one gold string."""
    out = [("correct", _boxed(gold), True)]
    bare = gold.strip().strip("$")
    if _INTEGER.match(bare):
        value = int(bare)
        out.append(("reformatted", _boxed(str(value)), True))  # drops zero padding
        if abs(value) >= 10000:
            out.append(("reformatted", _boxed(f"{value:,}"), True))
        out.append(("perturbed", _boxed(str(value + 1)), False))
    elif _DECIMAL.match(bare):
        value = float(bare)
        if value.is_integer():
            out.append(("reformatted", _boxed(str(int(value))), True))  # AMC "27.0" -> "27"
            out.append(("perturbed", _boxed(str(int(value) - 1)), False))
        else:
            out.append(("reformatted", _boxed(bare + "0"), True))
            last = int(bare[-1])
            out.append(("perturbed", _boxed(bare[:-1] + str((last + 1) % 10)), False))
    elif match := _FRACTION.match(bare):
        sign, numerator, denominator = match.groups()
        out.append(("reformatted", _boxed(f"{sign}\\dfrac{{{numerator}}}{{{denominator}}}"), True))
        out.append(("reformatted", _boxed(f"{sign}{numerator}/{denominator}"), True))
        out.append(("perturbed", _boxed(f"{sign}\\frac{{{int(numerator) + 1}}}{{{denominator}}}"), False))
    elif match := _BASE_N.match(bare):
        digits, base = match.group(1), int(match.group(2))
        out.append(("perturbed", _boxed(f"{digits}_{{{base + 1}}}"), False))
    elif match := _SCI.match(bare):
        mantissa, exponent = match.groups()
        out.append(("reformatted", _boxed(f"{mantissa} \\times 10^{{{exponent}}}"), True))
        out.append(("perturbed", _boxed(f"{float(mantissa) * 2:g}e{exponent}"), False))
    else:
        if " " in gold:
            out.append(("reformatted", _boxed(gold.replace(" ", "")), True))
        if re.search(r"\^\s*\{?\\circ\}?", gold) and not multi:
            out.append(("reformatted", _boxed(re.sub(r"\^\s*\{?\\circ\}?", "", gold)), True))
        if re.fullmatch(r"[(\[].*,.*[)\]]", bare) and "\\cup" not in bare and not multi:
            flipped = ("[" if bare[0] == "(" else "(") + bare[1:]
            out.append(("perturbed", _boxed(flipped), False))
        symbolic_ok = not any(t in gold for t in ("\\infty", "C", "=", "\\text", ",", "\\in", "\\le", "\\ge", "<", ">"))
        if symbolic_ok:
            out.append(("perturbed", _boxed(f"{gold} + 1"), False))
    if multi:
        parts = _top_level_parts(gold)
        if len(parts) > 1 and all(len(p) < 60 and "where" not in p for p in parts):
            out.append(("reformatted", _boxed(", ".join(reversed(parts))), True))
            out.append(("perturbed", _boxed(", ".join(parts[:-1])), False))
    inner = gold.strip().strip("$")
    if "$" not in inner.replace("\\$", ""):  # a gold made of several $...$ pieces has no one-piece form
        out.append(("reformatted", f"Working...\nThe final answer is ${inner}$.", True))
    out.append(("perturbed", f"Working... so the answer is \\boxed{{{gold[: max(1, len(gold) // 2)]}", False))
    return out


def build_cases(data_dir: Path, per_benchmark: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for name in BENCHMARKS:
        golds = read_golds(data_dir, name)
        chosen = golds if len(golds) <= per_benchmark else rng.sample(golds, per_benchmark)
        for entry in chosen:
            gold, multi = entry if isinstance(entry, tuple) else (entry, False)
            gold_string = str(gold)
            for kind, response, label in variants(gold_string, multi):
                cases.append(Case(name, kind, gold, response, label))
    return cases


def public_cases(path: Path) -> list[Case]:
    """The labelled cases taken from other projects' test tables (see ``benchmarks/data/README.md``)."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return [
        Case(
            row["source"], "public", row["gold"], row["response"], row["label"], row["math_verify"], row.get("disputed")
        )
        for row in rows
    ]


def math_verify_as_tested(cases: list[Case]) -> list[bool]:
    """Math-Verify with the extraction targets and float rounding each source test passes to it (hendrycks/math's
    bare answers as golds are put in ``$...$`` so that its LaTeX extraction finds them)."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    targets = {"latex": LatexExtractionConfig(boxed_match_priority=0), "expr": ExprExtractionConfig()}
    verdicts = []
    for case in cases:
        config = case.math_verify or {}
        if config.get("parse") == "defaults":
            verdicts.append(bool(verify(parse(str(case.gold)), parse(case.response))))
            continue
        chosen = [targets[name] for name in config["match_types"]]
        delimiter = config.get("gold_delimiters", "")  # a bare LaTeX answer as gold needs $...$ for Math-Verify
        gold, response = parse(f"{delimiter}{case.gold}{delimiter}", chosen), parse(case.response, chosen)
        verdicts.append(bool(verify(gold, response, float_rounding=config.get("float_rounding", 6))))
    return verdicts


def raw_math_verify(cases: list[Case]) -> list[bool]:
    from math_verify import parse, verify

    return [bool(verify(parse(f"\\boxed{{{c.gold}}}"), parse(c.response))) for c in cases]


def verl_math_verify(cases: list[Case]) -> list[bool]:
    from verl.utils.reward_score.math_verify import compute_score

    return [compute_score(c.response, str(c.gold)) == 1.0 for c in cases]


def ours_sequential(cases: list[Case]) -> list[bool]:
    return [score(c.response, c.gold).correct for c in cases]


def ours_batch(cases: list[Case]) -> list[bool]:
    return [v.correct for v in score_batch([c.response for c in cases], [c.gold for c in cases], workers=2)]


def _start_pool(workers: int) -> None:
    """Start ``workers`` verifier processes (start-up is not timed; the cache is cleared per chunk instead)."""
    get_pool().judge([(f"x+{i}", f"{i}+x") for i in range(workers)], workers, 60.0)


VERIFIERS: list[tuple[str, Callable[[list[Case]], list[bool]]]] = [
    ("(a) raw Math-Verify", raw_math_verify),
    ("(b) verl math_verify.compute_score", verl_math_verify),
    ("(c) rewards.score, sequential", ours_sequential),
    ("(d) rewards.score_batch, 2 workers", ours_batch),
]


PUBLIC_VERIFIERS: list[tuple[str, Callable[[list[Case]], list[bool]]]] = [
    ("(a) Math-Verify, as its tests call it", math_verify_as_tested),
    *VERIFIERS[1:],
]


def run_interleaved(cases: list[Case], chunks: int, verifiers: list = VERIFIERS) -> list[dict]:
    """Time every verifier on each chunk in turn, so load changes on a shared machine hit all of them alike."""
    judged: dict[str, list[bool]] = {name: [] for name, _ in verifiers}
    seconds = dict.fromkeys(judged, 0.0)
    size = -(-len(cases) // chunks)
    for start in range(0, len(cases), size):
        chunk = cases[start : start + size]
        for name, verifier in verifiers:
            clear_cache()
            began = time.perf_counter()
            judged[name] += verifier(chunk)
            seconds[name] += time.perf_counter() - began
    results = []
    for name, _ in verifiers:
        pairs = list(zip(cases, judged[name], strict=True))
        results.append(
            {
                "name": name,
                "accuracy": sum(j == c.label for c, j in pairs) / len(cases),
                "fp": [c for c, j in pairs if j and not c.label],
                "fn": [c for c, j in pairs if not j and c.label],
                "recall": 1 - sum(1 for c, j in pairs if not j and c.label) / sum(c.label for c in cases),
                "pairs_per_s": len(cases) / seconds[name],
                "judged": judged[name],
            }
        )
    return results


def print_table(results: list[dict], show: int) -> None:
    """The markdown table of ``run_interleaved`` results, then each verifier's first false positives/negatives."""
    base = results[0]["pairs_per_s"]
    print("| verifier | accuracy | false pos | false neg | recall | pairs/s | vs (a) |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['name']} | {r['accuracy']:.4f} | {len(r['fp'])} | {len(r['fn'])} | {r['recall']:.4f} "
            f"| {r['pairs_per_s']:.1f} | {r['pairs_per_s'] / base:.2f}x |"
        )
    for r in results:
        for label, items in (("false positives", r["fp"]), ("false negatives", r["fn"])):
            if items:
                print(f"\n{r['name']}: {label} (first {min(show, len(items))} of {len(items)})")
                for c in items[:show]:
                    print(f"  [{c.benchmark}/{c.kind}] gold={str(c.gold)[:60]!r} response={c.response[-80:]!r}")


def print_public_summary(cases: list[Case], results: list[dict]) -> None:
    """Counts without the disputed rows, and every disputed row with each verifier's verdict."""
    kept = [i for i, c in enumerate(cases) if c.disputed is None]
    print(f"\nwithout the {len(cases) - len(kept)} disputed rows ({len(kept)} pairs):")
    print("| verifier | accuracy | false pos | false neg |")
    print("|---|---|---|---|")
    for r in results:
        judged = [r["judged"][i] for i in kept]
        labels = [cases[i].label for i in kept]
        fp = sum(j and not y for j, y in zip(judged, labels, strict=True))
        fn = sum(y and not j for j, y in zip(judged, labels, strict=True))
        print(f"| {r['name']} | {1 - (fp + fn) / len(kept):.4f} | {fp} | {fn} |")
    for i, case in enumerate(cases):
        if case.disputed is not None:
            verdicts = ", ".join(f"{r['name'][:3]} {r['judged'][i]}" for r in results)
            print(f"  disputed [{case.benchmark}] label={case.label} ({verdicts}): {case.disputed}")


HOSTILE_COUNT = 51
BATCH_SIZE = 1024


def hostile_answers() -> list[str]:
    """``HOSTILE_COUNT`` distinct pathological answers: what cannot be evaluated in time, written as a model would."""
    answers = [
        r"(10^{10^{10}})!",
        r"9^{9^{9^{9}}}",
        r"\sum_{n=1}^{10^{12}} n^{n}",
        "(" * 3000 + "1" + ")" * 3000,
        r"\frac{1}{" * 400 + "2" + "}" * 400,
        "7" * 1_000_000,
    ]
    for k in range(2, 8):
        answers.append(f"(10^{{10^{{{k}}}}})!")
        answers.append(f"{k}^{{{k}^{{{k}^{{{k}}}}}}}")
        answers.append(f"\\prod_{{n=1}}^{{10^{{{k + 6}}}}} n^{{n}}")
        answers.append(f"\\sum_{{k=1}}^{{10^{{{k + 8}}}}} k^{{k^{{2}}}}")
        answers.append(f"(x+{k})^{{10^{{{k + 4}}}}}")
        answers.append(f"{k}^{{10^{{10^{{{k}}}}}}} - 1")
    answers += ["[" * 2000 + "x" + "]" * 2000, r"\sqrt{" * 500 + "2" + "}" * 500, "10^{" * 300 + "2" + "}" * 300]
    answers += [r"\binom{10^{100}}{10^{50}}", r"((10^{100})!)!", r"10^{10^{100}} \bmod 7", r"e^{e^{e^{e^{e^{10}}}}}"]
    answers += ["1" + "0" * 200_000 + "1", r"\frac{" + "9" * 100_000 + "}{3}"]
    if len(answers) != HOSTILE_COUNT:
        raise AssertionError(f"{len(answers)} hostile answers, expected {HOSTILE_COUNT}")
    return answers


def math500_pairs(data_dir: Path) -> list[tuple[str, str, bool, str]]:
    """(gold, boxed variant, label, reference solution) for every MATH-500 gold and each of its ``variants``."""
    problems = load_benchmark("math500", data_dir)
    return [
        (p.gold, response, label, p.reference_solution or "")
        for p in problems
        for _, response, label in variants(p.gold, False)
    ]


def hostile_batch(data_dir: Path, seed: int) -> tuple[list[str], list[str], list[bool]]:
    """(responses, golds, is_hostile) of one ``BATCH_SIZE`` reward batch, the hostile answers spread through it."""
    rng = random.Random(seed)
    benign = rng.sample(math500_pairs(data_dir), BATCH_SIZE - HOSTILE_COUNT)
    golds = [gold for gold, _, _, _ in benign]
    batch = [(response, gold, False) for gold, response, _, _ in benign]
    batch += [(_boxed(answer), rng.choice(golds), True) for answer in hostile_answers()]
    rng.shuffle(batch)
    return [r for r, _, _ in batch], [g for _, g, _ in batch], [h for _, _, h in batch]


def run_hostile(data_dir: Path, seed: int) -> None:
    """Time the hostile batch with 2 workers; check no hostile answer is accepted and benign verdicts are unchanged."""
    responses, golds, hostile = hostile_batch(data_dir, seed)
    benign = [i for i, h in enumerate(hostile) if not h]
    clear_cache()
    alone = score_batch([responses[i] for i in benign], [golds[i] for i in benign], workers=2)
    clear_cache()
    _start_pool(2)
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    verdicts = score_batch(responses, golds, workers=2)
    seconds = time.perf_counter() - began
    hostile_verdicts = [v for v, h in zip(verdicts, hostile, strict=True) if h]
    reasons: dict[str, int] = {}
    for verdict in hostile_verdicts:
        reasons[verdict.reason] = reasons.get(verdict.reason, 0) + 1
    unchanged = sum(verdicts[i] == verdict for i, verdict in zip(benign, alone, strict=True))
    print(f"\n## Hostile batch: {len(responses)} responses, {sum(hostile)} hostile, 2 workers")
    print(f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    print("| batch time (s) | hostile accepted | hostile reasons | benign verdicts unchanged |")
    print("|---|---|---|---|")
    print(
        f"| {seconds:.2f} | {sum(v.correct for v in hostile_verdicts)} | "
        f"{', '.join(f'{k} {n}' for k, n in sorted(reasons.items()))} | {unchanged} / {len(benign)} |"
    )


def throughput_pairs(data_dir: Path, seed: int) -> tuple[list[str], list[str], list[bool]]:
    """(responses, golds, labels): for each MATH-500 gold one right and one wrong answer (a ``variants`` pair whose
    box closes; another problem's gold where the gold has no wrong variant), each appended to that problem's
    reference solution with its boxes removed, so all texts differ."""
    rng = random.Random(seed)
    by_gold: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    for gold, response, label, solution in math500_pairs(data_dir):
        answer = last_boxed(response) if response.startswith(_boxed("")[:20]) else None
        if answer is not None:  # the variants whose box closes
            by_gold.setdefault((gold, solution), []).append((answer, label))
    responses, golds, labels = [], [], []
    all_golds = sorted({gold for gold, _ in by_gold})
    for index, ((gold, solution), answers) in enumerate(by_gold.items()):
        body = solution.replace("\\boxed", "").replace("\\fbox", "")
        other_golds = [g for g in all_golds if g.replace(" ", "") != gold.replace(" ", "")]
        for label in (True, False):
            choices = [a for a, y in answers if y == label] or [rng.choice(other_golds)]
            answer = rng.choice(choices)
            responses.append(f"Solution {index}. {body}\n\nTherefore the answer is $\\boxed{{{answer}}}$.")
            golds.append(gold)
            labels.append(label)
    return responses, golds, labels


def run_throughput(data_dir: Path, seed: int) -> None:
    """Raw Math-Verify vs ``score_batch`` (2 workers, cache cleared) on the same unique pairs, then the cache's gain."""
    from math_verify import parse, verify

    responses, golds, labels = throughput_pairs(data_dir, seed)
    if len(set(responses)) != len(responses):
        raise AssertionError("throughput responses must be distinct")
    _start_pool(2)
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    raw = [bool(verify(parse(f"\\boxed{{{g}}}"), parse(r))) for r, g in zip(responses, golds, strict=True)]
    raw_s = time.perf_counter() - began
    clear_cache()
    began = time.perf_counter()
    ours = [v.correct for v in score_batch(responses, golds, workers=2)]
    ours_s = time.perf_counter() - began
    began = time.perf_counter()
    cached = [v.correct for v in score_batch(responses, golds, workers=2)]
    cached_s = time.perf_counter() - began
    if cached != ours:
        raise AssertionError("cached verdicts differ from fresh ones")
    print(f"\n## Throughput: {len(responses)} unique MATH-500 pairs ({sum(labels)} correct), 2 workers")
    print(f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    print("| verifier | seconds | pairs/s | accuracy | vs raw Math-Verify |")
    print("|---|---|---|---|---|")
    for name, seconds, judged in (
        ("raw Math-Verify", raw_s, raw),
        ("rewards.score_batch, cache cleared", ours_s, ours),
        ("rewards.score_batch, same pairs again (cached)", cached_s, cached),
    ):
        accuracy = sum(j == y for j, y in zip(judged, labels, strict=True)) / len(labels)
        print(f"| {name} | {seconds:.2f} | {len(labels) / seconds:.0f} | {accuracy:.4f} | {raw_s / seconds:.1f}x |")
    print(f"cache gain on repeated pairs: {ours_s / cached_s:.1f}x over the uncached batch")


SECTIONS = ("labelled", "public", "hostile", "throughput")


def run_labelled(args: argparse.Namespace) -> None:
    cases = build_cases(args.data_dir, args.per_benchmark, args.seed)
    positives = sum(c.label for c in cases)
    print(f"labelled pairs: {len(cases)} ({positives} correct, {len(cases) - positives} incorrect) from {BENCHMARKS}")
    kinds = {k: sum(c.kind == k for c in cases) for k in ("correct", "reformatted", "perturbed")}
    print(f"kinds: {kinds}")
    verl_math_verify(cases[:4])
    _start_pool(2)
    load_before = os.getloadavg()[0]
    results = run_interleaved(cases, args.chunks)
    print(f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    print()
    print_table(results, args.show)


def run_public(args: argparse.Namespace) -> None:
    verl_math_verify(public_cases(args.public_cases)[:4])
    _start_pool(2)
    public = public_cases(args.public_cases)
    positives = sum(c.label for c in public)
    disputed = sum(c.disputed is not None for c in public)
    print(
        f"\n## Public test tables: {len(public)} pairs ({positives} correct, {len(public) - positives} incorrect, "
        f"{disputed} disputed labels) from {args.public_cases.name}"
    )
    load_before = os.getloadavg()[0]
    public_results = run_interleaved(public, min(args.chunks, len(public)), PUBLIC_VERIFIERS)
    print(f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    print()
    print_table(public_results, args.show)
    print_public_summary(public, public_results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=REPO_ROOT / "eval" / "data",
        help="directory with <benchmark>/test.jsonl (default: the files shipped in eval/data)",
    )
    parser.add_argument("--per-benchmark", type=int, default=120, help="golds sampled per benchmark (default 120)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=10, help="interleaved timing chunks (default 10)")
    parser.add_argument("--show", type=int, default=8, help="false positives/negatives listed per verifier")
    parser.add_argument(
        "--public-cases",
        type=Path,
        default=REPO_ROOT / "benchmarks" / "data" / "public_verifier_cases.jsonl",
        help="labelled cases from other projects' test tables (default: the shipped file)",
    )
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    if not sections <= set(SECTIONS):
        parser.error(f"--sections: unknown {sorted(sections - set(SECTIONS))}; known: {', '.join(SECTIONS)}")
    import math_verify  # noqa: F401  (imports and process start-up are not timed)

    if "labelled" in sections:
        run_labelled(args)
    if "public" in sections:
        run_public(args)
    if "hostile" in sections:
        run_hostile(args.data_dir, args.seed)
    if "throughput" in sections:
        run_throughput(args.data_dir, args.seed)


if __name__ == "__main__":
    main()
