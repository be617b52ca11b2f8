"""Benchmark the memory-based editors (GRACE, WISE) on sequential counterfactual edits; prints JSON.

    python bench/editing_memory.py [--methods grace,wise] [--edits 100] [--home DIR]

Facts: the capitals in ``kg/data/demo_countries.csv`` that the default model (SmolLM2-135M-Instruct) gets right
before editing (greedy, first word), in both directions (``"The capital of X is" -> city``, ``"<city> is the
capital of" -> X``); the model knows only ~60 of them, so ``--include-unknown`` tops up to ``--edits`` with
capitals it got wrong. Each is edited, one after another, to the answer of another fact of the same kind
(``"The capital of X is" -> " <capital of Y>"``). After the last edit:

- reliability: share of edited prompts whose greedy first token is the target's first token (``first_token``),
  and whose first generated word is the target's first word (``first_word``);
- locality: share of prompts whose 8-token greedy output is unchanged, on ``unrelated`` prompts (other facts and
  generic text) and on ``near_miss`` prompts (capitals of up to 40 countries that are never edited; the names WISE
  uses as training negatives are excluded everywhere);
- seconds per edit (median and p90) for computing the edit and for applying it through the ledger, and the time
  to revert every edit at the end (the weights are then checked to be the originals, bit for bit).

Each method runs on the same model in turn and is reverted before the next. Uses a temporary home (the model is
converted from GGUF there, ~15-80 s) unless --home is given.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: lets bench scripts import the project packages)
import argparse
import csv
import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from editors import EditRequest, get_method
from editors.wise.negatives import SUBJECT_FILLERS
from kg.settings import Settings
from models import ModelRegistry

DATA = Path(__file__).resolve().parent.parent / "kg" / "data" / "demo_countries.csv"
UNRELATED = [
    "The largest planet in the solar system is", "Water is made of hydrogen and", "The author of Hamlet is",
    "The chemical symbol for gold is", "The first president of the United States was", "The speed of light is",
    "The tallest mountain in the world is", "The currency of the United Kingdom is", "The Mona Lisa was painted by",
    "Photosynthesis converts sunlight into", "A triangle has three", "The freezing point of water is",
    "The longest river in Africa is", "Python is a programming", "The opposite of hot is",
    "My favourite colour is", "Once upon a time there was", "The best way to learn a language is",
    "Dear Sir or Madam, I am writing to", "def fibonacci(n):",
]


def main() -> None:
    args = _parse()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="kgedit-bench-memory-"))
    registry = ModelRegistry(Settings(home=home, device="cpu"))
    handle = registry.get()
    if handle.ledger.applied:
        raise SystemExit(f"the ledger in {home} has {len(handle.ledger.applied)} applied records; use another --home")
    base_state = handle.state_id
    known, unknown, near_miss = _facts(handle, args.probe_batch)
    edits = _counterfactuals(known)[: args.edits]
    if args.include_unknown:  # top up to --edits with capitals the model got wrong before editing
        edits += _counterfactuals(unknown)[: max(0, args.edits - len(edits))]
    n_known = min(len(edits), len(_counterfactuals(known)))
    unrelated_before = _greedy(handle, UNRELATED, 8)
    near_before = _greedy(handle, near_miss, 8)
    report = {
        "model": handle.name, "machine": _machine(), "facts_known_before": len(known), "edits": len(edits),
        "edits_known_before": n_known,
        "near_miss_prompts": len(near_miss), "unrelated_prompts": len(UNRELATED), "methods": {},
    }
    for name in args.methods.split(","):
        report["methods"][name] = _run(handle, name, edits, n_known, near_miss, unrelated_before, near_before,
                                       base_state)
    registry.close()
    print(json.dumps(report, indent=2))


def _run(handle, name: str, edits: list[EditRequest], n_known: int, near_miss: list[str],
         unrelated_before: list[str], near_before: list[str], base_state: str) -> dict:
    method = get_method(name)
    original = {k: v.detach().clone() for k, v in handle.model.state_dict().items()}
    compute, apply = [], []
    for request in edits:
        start = time.perf_counter()
        record = method.apply(handle, [request])
        mid = time.perf_counter()
        handle.ledger.apply(record)
        compute.append(mid - start)
        apply.append(time.perf_counter() - mid)
    answers = _greedy(handle, [r.prompt for r in edits], 8, raw=True)
    result = {
        "reliability": _reliability(handle, edits, answers),
        "reliability_known_before": _reliability(handle, edits[:n_known], answers[:n_known]),
        "locality": {"unrelated": _same(_greedy(handle, UNRELATED, 8), unrelated_before),
                     "near_miss": _same(_greedy(handle, near_miss, 8), near_before)},
        "seconds_per_edit": {"compute_median": _r(statistics.median(compute)), "compute_p90": _r(_p90(compute)),
                             "ledger_apply_median": _r(statistics.median(apply))},
    }
    start = time.perf_counter()
    handle.ledger.revert_to(base_state)
    result["revert_all_seconds"] = _r(time.perf_counter() - start)
    now = handle.model.state_dict()
    result["reverted_exactly"] = set(now) == set(original) and all(torch.equal(now[k], original[k]) for k in now)
    result["misses"] = [{"prompt": r.prompt, "target": r.target_new, "got": a[1]}
                        for r, a in zip(edits, answers) if not a[1].strip().startswith(r.target_new.strip())][:10]
    return result


def _reliability(handle, edits: list[EditRequest], answers: list[tuple[list[int], str]]) -> dict:
    first_token = first_word = 0
    for request, (ids, text) in zip(edits, answers):
        target = handle.tokenizer(request.target_new, add_special_tokens=False)["input_ids"]
        first_token += bool(ids) and ids[0] == target[0]
        first_word += _first_word(text) == _first_word(request.target_new)
    n = max(1, len(edits))
    return {"first_token": _r(first_token / n), "first_word": _r(first_word / n)}


def _facts(handle, batch: int) -> tuple[list[Fact], list[Fact], list[str]]:
    """Capital facts the model gets right (both directions: "The capital of X is" -> city and "<city> is the
    capital of" -> X), the forward facts it gets wrong, and near-miss prompts: forward prompts of countries that
    are never edited (taken from the unknown ones, up to 40). WISE's negative names are excluded throughout."""
    with open(DATA, encoding="utf-8") as f:
        pairs = [(r["subject"], r["object"]) for r in csv.DictReader(f) if r["relation"] == "capital"]
    pairs = [(c, cap) for c, cap in pairs if c not in SUBJECT_FILLERS and cap not in SUBJECT_FILLERS]
    forward = [Fact(f"The capital of {c} is", c, cap, caps=True) for c, cap in pairs]
    reverse = [Fact(f"{cap} is the capital of", cap, c, caps=False) for c, cap in pairs]
    outs = _greedy(handle, [x.prompt for x in forward + reverse], 8, batch=batch)
    right = [_first_word(o) == x.answer.split()[0] for x, o in zip(forward + reverse, outs)]
    known = [x for x, ok in zip(forward + reverse, right) if ok]
    unknown = [x for x, ok in zip(forward, right) if not ok]
    near = [x.prompt for x in unknown[1::2][:40]]
    return known, [x for x in unknown if x.prompt not in near], near


@dataclass(frozen=True)
class Fact:
    prompt: str
    subject: str
    answer: str
    caps: bool  # the answer is a capital city (else a country)


def _counterfactuals(facts: list[Fact]) -> list[EditRequest]:
    """Each fact gets the answer of the fact of the same kind 7 places further on (never its own answer)."""
    out = []
    for kind in (True, False):
        group = [x for x in facts if x.caps == kind]
        for i, fact in enumerate(group):
            options = [group[(i + k) % len(group)].answer for k in range(7, 7 + len(group))]
            target = next((a for a in options if a != fact.answer), None)
            if target is not None:
                out.append(EditRequest(prompt=fact.prompt, subject=fact.subject, target_new=" " + target,
                                       target_true=" " + fact.answer))
    return out


def _greedy(handle, prompts: list[str], n: int, *, batch: int = 16, raw: bool = False):
    if not prompts:
        return []
    if not raw:
        return handle.generate(prompts, chat=False, max_new_tokens=n, batch_size=batch)
    texts = handle.generate(prompts, chat=False, max_new_tokens=n, batch_size=batch)
    return [(handle.tokenizer(t, add_special_tokens=False)["input_ids"], t) for t in texts]


def _first_word(text: str) -> str:
    words = text.split()
    return words[0].strip(".,;:") if words else ""


def _same(after: list[str], before: list[str]) -> float:
    return _r(sum(a == b for a, b in zip(after, before)) / max(1, len(before)))


def _p90(xs: list[float]) -> float:
    return sorted(xs)[min(len(xs) - 1, int(0.9 * len(xs)))]


def _r(x: float) -> float:
    return round(x, 3)


def _machine() -> dict:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "torch_threads":
            torch.get_num_threads(), "load_average_1m_at_start": load, "python": platform.python_version()}


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--methods", default="grace,wise")
    p.add_argument("--edits", type=int, default=100)
    p.add_argument("--home", default=None, help="kgedit home to reuse (keeps the converted model between runs)")
    p.add_argument("--include-unknown", action="store_true",
                   help="top up to --edits with capitals the model got wrong before editing")
    p.add_argument("--probe-batch", type=int, default=16)
    return p.parse_args()


if __name__ == "__main__":
    main()
