"""Decontamination: drop training problems that share a word n-gram with any evaluation problem.

Texts are compared under two tokenisations, and a shared n-gram under either counts: the normalised words of
:func:`data_prep.text.words` (``\\dfrac`` = ``\\frac``, sizing macros and ``$`` dropped) and the plain lower-cased
alphanumeric runs of :func:`data_prep.text.plain_words` (macros kept). Each catches near-copies the other misses:
``\\left\\{`` against ``\\{`` shortens a shared run under the first, ``\\dfrac`` against ``\\frac`` breaks it under
the second. A text with at least ``n`` words contributes all its n-grams; a shorter text contributes its whole word
sequence as one gram, so a short benchmark problem is still caught when a training problem is word-for-word the same.

By default every n-gram counts, so no kept problem shares any n-gram with a benchmark. That also removes problems
that share only answer-format boilerplate with a competition problem ("... where m and n are relatively prime
positive integers. Find m+n." is a 13-gram of many unrelated AIME problems). With ``boilerplate_problems=k > 0``
an n-gram found in k or more distinct benchmark problems is ignored; a real near-copy still shares the problem's
own n-grams and is caught."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from pathlib import Path

from data_prep.records import DataPrepError
from data_prep.text import word_lists
from eval.benchmarks import BENCHMARKS, load_benchmark

DEFAULT_NGRAM = 13
DEFAULT_BOILERPLATE_PROBLEMS = 0


def ngrams(words: Sequence[str], n: int) -> Iterable[tuple[str, ...]]:
    """The word n-grams of ``words`` in order, or the whole sequence as one gram when it has fewer than ``n``."""
    if len(words) < n:
        return [tuple(words)] if words else []
    return zip(*(words[offset:] for offset in range(n)), strict=False)


class NgramIndex:
    """The benchmark problems' n-grams (boilerplate left out) and which benchmarks have each.

    Attributes:
        benchmarks: benchmark names in the given order.
        owners: n-gram -> names of the benchmarks having it, in the order the benchmarks were given.
        boilerplate: how many distinct n-grams were ignored as boilerplate.
    """

    def __init__(
        self,
        benchmark_texts: Mapping[str, Iterable[str]],
        n: int = DEFAULT_NGRAM,
        boilerplate_problems: int = DEFAULT_BOILERPLATE_PROBLEMS,
    ) -> None:
        if n < 1:
            raise DataPrepError(f"--ngram must be at least 1, got {n}")
        if boilerplate_problems < 0:
            raise DataPrepError(f"--boilerplate-problems must be 0 or more, got {boilerplate_problems}")
        self.n = n
        self.benchmarks = tuple(benchmark_texts)
        self.owners: dict[tuple[str, ...], tuple[str, ...]] = {}
        problems_with: Counter[tuple[str, ...]] = Counter()
        for name, texts in benchmark_texts.items():
            for text in texts:
                normalised, plain = word_lists(text)
                grams = {*ngrams(normalised, n), *ngrams(plain, n)}
                problems_with.update(grams)
                for gram in grams:
                    names = self.owners.get(gram, ())
                    if name not in names:
                        self.owners[gram] = (*names, name)
        limit = boilerplate_problems or len(problems_with) + 1
        common = [gram for gram, count in problems_with.items() if count >= limit]
        for gram in common:
            del self.owners[gram]
        self.boilerplate = len(common)

    def match(self, text: str) -> tuple[str, ...]:
        """The benchmarks sharing at least one n-gram with ``text`` (given order); ``()`` when none does."""
        return self.match_words(*word_lists(text))

    def match_words(self, normalised: Sequence[str], plain: Sequence[str]) -> tuple[str, ...]:
        """:meth:`match` for a text already split by :func:`data_prep.text.word_lists`."""
        if self.owners.keys().isdisjoint(chain(ngrams(normalised, self.n), ngrams(plain, self.n))):
            return ()
        grams = chain(ngrams(normalised, self.n), ngrams(plain, self.n))
        found = {name for gram in grams for name in self.owners.get(gram, ())}
        return tuple(name for name in self.benchmarks if name in found)


def load_benchmark_problems(
    benchmark_dir: str | Path | None, names: Sequence[str] | None = None, hub: bool = False
) -> dict[str, list[str]]:
    """Problem texts of every benchmark in ``eval.benchmarks.BENCHMARKS`` (or ``names``), by benchmark name, read
    from ``benchmark_dir`` (None = the files shipped in ``eval/data``) or, with ``hub``, from the Hugging Face Hub.

    Raises:
        DataPrepError: unknown benchmark name, or a benchmark that cannot be loaded (names ``--benchmark-dir``).
    """
    chosen = list(names) if names else list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        raise DataPrepError(f"--benchmarks: unknown {unknown}; known benchmarks: {', '.join(BENCHMARKS)}")
    problems = {}
    for name in chosen:
        try:
            problems[name] = [item.problem for item in load_benchmark(name, benchmark_dir, hub=hub)]
        except Exception as error:  # file, Hub and row errors from eval, all fatal for decontamination
            if hub:
                where = "the Hub (--benchmark-hub)"
            elif benchmark_dir is not None:
                where = f"--benchmark-dir {benchmark_dir}"
            else:
                where = "the files shipped in eval/data"
            raise DataPrepError(f"cannot load benchmark '{name}' from {where}: {error}") from error
    return problems
