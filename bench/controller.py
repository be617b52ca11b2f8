"""OneEdit-style evaluation of the controller on counterfactual edits from the demo KG; prints JSON.

    python bench/controller.py [--edits 100] [--method rome] [--home DIR] [--cache DIR] [--deadline HH:MM]

Every edit runs the full transaction through ``KGEdit.edit`` (guard, plan with inverse and multi-hop facts,
conflict revert, model edit with the per-role method chains of ``controller.modelsync``, verification of every
planned fact, KG commit). Items, in demo-KG order, over countries (``--items known``: those whose capital the
model names before editing; ``unknown``: the others; ``all``, the default: every one, scores also reported for the
known ones):

- edit A: ``(X, capital, C1)``, C1 another country's capital never used before in the run. The plan adds the
  inverse ``(C1, capital_of, X)``.
- edit B (conflicting): ``(X, capital, C2)``; A's records are reverted, not stacked.
- edit C (every ``--onehop-every``-th item): ``(P, born_in, C3)`` for a person P; the plan derives
  ``(P, country_of_birth, K3)`` by the rule ``country_of_birth = born_in . country`` from ``(C3, country, K3)``,
  which the bench adds to the KG first for every demo capital (from the demo's ``(capital, located_in, country)``).

Scores (greedy, the target's token count plus two tokens, first word compared, ``chat=False``):
- reliability: after A, "The capital of X is" -> C1; after C, "P was born in" -> C3;
- reverse: after A, "C1 is the capital of" -> X (OneEdit's reverse: the inverse prompt gives the subject);
- one_hop: after C, "P was born in the country of" -> K3 (the derived fact);
- sub_replace: after B, "The capital of X is" -> C2 (the conflicting edit replaced the first one);
- reverse_after_conflict: after B, "C2 is the capital of" -> X;
- paraphrase: after A, "The capital city of X is" -> C1 (a template the edit did not use);
- retained_at_end: after the whole run, the forward and reverse prompts of every committed B edit (sequential
  edits must not wash out earlier ones).
A transaction that fails (verification) or is held by the guard counts as a miss on every score of its edit.
Latency: wall seconds of ``KGEdit.edit`` per transaction, median and p90, overall and per kind.

The conflicting-edit burst rule of the policy (5 conflicting edits per user in 10 minutes -> review) is lifted
for the run: one scripted user makes every edit. The guard stays on (its check is part of the latency).

The guard's block rate on harmful statements and false-block rate on benign edits come from ``bench/guard.py``'s
held-out test split (its functions are called here; ``--no-guard-bench`` skips that part).

Progress goes to stderr (one JSON line per item) and, with ``--log``, to a file; the JSON report to stdout and,
with ``--out``, to a file.
``--cache DIR`` shares the converted model and ROME statistics between runs (linked into a fresh home).
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first)
import argparse
import csv
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from controller.facade import KGEdit
from kg.demo import demo_csv_path
from kg.records import TripleIn

PEOPLE = [
    "Albert Einstein", "Marie Curie", "Isaac Newton", "Pablo Picasso", "Frida Kahlo", "Leo Tolstoy", "Nelson Mandela",
    "Ada Lovelace", "Charles Darwin", "Wolfgang Amadeus Mozart", "Ludwig van Beethoven", "Vincent van Gogh",
    "William Shakespeare", "Jane Austen", "Galileo Galilei", "Nikola Tesla", "Mahatma Gandhi", "Confucius",
    "Florence Nightingale", "Johann Sebastian Bach", "Leonardo da Vinci", "Michelangelo", "Rembrandt",
    "Fyodor Dostoevsky", "Gabriel Garcia Marquez", "Toni Morrison", "Alan Turing", "Sigmund Freud",
    "Simone de Beauvoir", "Napoleon Bonaparte", "Cleopatra", "Julius Caesar", "Winston Churchill", "Abraham Lincoln",
    "Martin Luther King", "Rosa Parks", "Ernest Hemingway", "Virginia Woolf", "Franz Kafka", "Hans Christian Andersen",
]


def demo_rows() -> list[dict[str, str]]:
    with open(demo_csv_path(), encoding="utf-8") as f:
        return list(csv.DictReader(f))


def first_word(text: str) -> str:
    words = text.strip().split()
    return words[0].strip(".,;:!?\"'").casefold() if words else ""


def hit(handle: Any, prompt: str, target: str) -> bool:
    tokens = len(handle.tokenizer(" " + target)["input_ids"])  # as many tokens as the target has, plus two
    output = handle.generate([prompt], chat=False, max_new_tokens=tokens + 2)[0]
    return first_word(output) == first_word(target)


def fresh_home(home: str | None, cache: str | None) -> Path:
    root = Path(home or tempfile.mkdtemp(prefix="kgedit-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    if cache:  # the converted model and statistics only: the KG, ledger and journal start empty
        for name in ("models", "stats"):
            (Path(cache) / name).mkdir(parents=True, exist_ok=True)
            if not (root / name).exists():
                (root / name).symlink_to(Path(cache).resolve() / name)
    return root


def pct(values: list[float], q: float) -> float | None:
    return round(sorted(values)[int(q * (len(values) - 1))], 2) if values else None


def guard_bench(seed: int | None) -> dict[str, Any]:
    import importlib.util

    from controller.guard import ContentGuard
    from controller.guard.dataset import SEED, build_dataset

    spec = importlib.util.spec_from_file_location("bench_guard", Path(__file__).with_name("guard.py"))
    gb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gb)  # bench/guard.py (not importable by name: _bootstrap drops bench/ from sys.path)
    test = build_dataset(seed=SEED if seed is None else seed).test
    guard = ContentGuard()
    harmful = gb.run([e for e in test if e.label == 1], guard)
    benign = gb.run([e for e in test if e.label == 0], guard)
    h, b = gb.rates(harmful), gb.rates(benign)
    return {"split": "test split of controller.guard.dataset (held out; see bench/guard.py)",
            "harmful": {"n": h["n"], "block_rate": h["rate"], "target": gb.TARGET_BLOCK,
                        "met": bool(h["rate"] >= gb.TARGET_BLOCK)},
            "benign": {"n": b["n"], "false_block_rate": b["rate"], "target": gb.TARGET_FALSE_BLOCK,
                       "met": bool(b["rate"] <= gb.TARGET_FALSE_BLOCK)}}


class Run:
    def __init__(self, kge: KGEdit, log_file: Any):
        self.kge = kge
        self.handle = kge.model()
        self.log_file = log_file
        self.scores: dict[str, list[bool]] = {k: [] for k in (
            "reliability", "reverse", "one_hop", "sub_replace", "reverse_after_conflict", "paraphrase")}
        self.latency: dict[str, list[float]] = {"A": [], "B": [], "C": []}
        self.methods: Counter[str] = Counter()
        self.failures: list[dict[str, str]] = []
        self.known: list[bool] = []  # per item: did the model name the country's capital before the edits?
        self.item_scores: dict[str, list[bool]] = {}  # A/B scores per item, in item order (for the known split)

    @property
    def edits(self) -> int:
        return sum(map(len, self.latency.values()))

    def edit(self, kind: str, triple: tuple[str, str, str]) -> bool:
        start = time.perf_counter()
        try:
            outcome = self.kge.edit(triple)
            ok = outcome.status == "committed"
            if not ok:
                self.failures.append({"edit": str(triple), "status": outcome.status, "why": str(outcome.reasons)[:200]})
            for label, method in ((outcome.model or {}).get("methods") or {}).items():
                role = "primary" if label == "({}, {}, {})".format(*triple) else "augmented"
                self.methods[f"{role}:{method}"] += 1
        except Exception as e:  # a failed verification is a miss; the bench goes on
            ok = False
            self.failures.append({"edit": str(triple), "status": type(e).__name__, "why": str(e)[:200]})
        self.latency[kind].append(time.perf_counter() - start)
        return ok

    def score(self, name: str, ok: bool, prompt: str, target: str, *, per_item: bool = True) -> bool:
        result = ok and hit(self.handle, prompt, target)
        self.scores[name].append(result)
        if per_item:
            self.item_scores.setdefault(name, []).append(result)
        return result

    def progress(self, **fields: Any) -> None:
        line = json.dumps({"t": dt.datetime.now(dt.UTC).strftime("%H:%M:%S"), "edits": self.edits, **fields},
                          ensure_ascii=False)
        print(line, file=sys.stderr, flush=True)
        if self.log_file:
            print(line, file=self.log_file, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=100, help="stop after this many transactions (A, B and C)")
    parser.add_argument("--method", default="rome", help="the edits' method (primary facts)")
    parser.add_argument("--items", choices=("all", "known", "unknown"), default="all",
                        help="countries whose capital the model named before editing, the others, or all")
    parser.add_argument("--onehop-every", type=int, default=2, help="a born_in edit after every n-th item")
    parser.add_argument("--home", default=None)
    parser.add_argument("--cache", default=None, help="folder sharing models/ and stats/ between runs")
    parser.add_argument("--deadline", default=None, help="UTC HH:MM: start no new item after it")
    parser.add_argument("--no-guard-bench", action="store_true")
    parser.add_argument("--out", default=None, help="also write the JSON report here")
    parser.add_argument("--log", default=None, help="also append progress lines here")
    args = parser.parse_args()
    deadline = None
    if args.deadline:
        hh, mm = map(int, args.deadline.split(":"))
        deadline = dt.datetime.now(dt.UTC).replace(hour=hh, minute=mm, second=0, microsecond=0)

    rows = demo_rows()
    capitals = [(r["subject"], r["object"]) for r in rows if r["relation"] == "capital"]
    country_of = {c: k for k, c in capitals}
    started = time.perf_counter()
    guard_report = None
    if not args.no_guard_bench:
        t0 = time.perf_counter()
        guard_report = guard_bench(None)
        guard_report["seconds"] = round(time.perf_counter() - t0, 1)
        print(json.dumps({"guard": guard_report}), file=sys.stderr, flush=True)
    log_file = open(args.log, "a", encoding="utf-8") if args.log else None
    home = fresh_home(args.home, args.cache)
    with KGEdit.open(home, edit_method=args.method) as kge:
        kge.controller.policy.burst_limit = 10**9  # one scripted user makes every edit (see the docstring)
        kge.load_demo()
        kge.add_facts([TripleIn(subject=c, relation="country", object=k) for k, c in capitals],
                      message="bench: (capital, country, its country) for the one-hop rule")
        run = Run(kge, log_file)
        handle = run.handle
        pool = [c for _, c in reversed(capitals)]  # targets from the end of the list, each used once
        used: set[str] = set()
        people = iter(PEOPLE)
        final: list[tuple[str, str]] = []  # (country, capital) of the committed B edits, re-probed at the end
        known = n = 0

        def target(avoid: str) -> str:
            while pool and (pool[0] in used or pool[0] == avoid):
                pool.pop(0)
            used.add(pool[0])
            return pool.pop(0)

        for checked, (country, capital) in enumerate(capitals):
            if run.edits >= args.edits or len(pool) < 6:
                break
            if deadline and dt.datetime.now(dt.UTC) >= deadline:
                run.progress(stopped="deadline")
                break
            if capital in used:
                continue
            knew = hit(handle, f"The capital of {country} is", capital)  # checked as the run reaches the item
            if args.items != "all" and knew != (args.items == "known"):
                continue
            known += knew
            n += 1
            run.known.append(knew)
            c1, c2 = target(capital), target(capital)
            ok = run.edit("A", (country, "capital", c1))
            rel = run.score("reliability", ok, f"The capital of {country} is", c1)
            rev = run.score("reverse", ok, f"{c1} is the capital of", country)
            para = run.score("paraphrase", ok, f"The capital city of {country} is", c1)
            ok = run.edit("B", (country, "capital", c2))
            sub = run.score("sub_replace", ok, f"The capital of {country} is", c2)
            rev2 = run.score("reverse_after_conflict", ok, f"{c2} is the capital of", country)
            if ok:
                final.append((country, c2))
            fields: dict[str, Any] = {"item": n, "checked": checked + 1, "known": knew, "country": country,
                                      "A": [c1, rel, rev, para], "B": [c2, sub, rev2]}
            person = next(people, None) if (n + 1) % args.onehop_every == 0 else None
            if person and run.edits < args.edits:
                c3 = target(capital)
                ok = run.edit("C", (person, "born_in", c3))
                rel3 = run.score("reliability", ok, f"{person} was born in", c3, per_item=False)
                hop = run.score("one_hop", ok, f"{person} was born in the country of", country_of[c3], per_item=False)
                fields["C"] = [person, c3, country_of[c3], rel3, hop]
            fields["latency_s"] = {k: round(v[-1], 1) for k, v in run.latency.items() if v and k in fields}
            run.progress(**fields)
        at_end = {"forward": [hit(handle, f"The capital of {k} is", c) for k, c in final],
                  "reverse": [hit(handle, f"{c} is the capital of", k) for k, c in final]}
        run.progress(at_end={k: f"{sum(v)}/{len(v)}" for k, v in at_end.items()})
        all_latency = [s for v in run.latency.values() for s in v]
        report = {
            "model": kge.settings.default_model, "method": args.method,
            "chains": {role: list(kge._model_sync(args.method).chain(role))
                       for role in ("primary", "inverse", "derived")},
            "edits": run.edits, "items": len(run.latency["A"]),
            "transactions": {k: len(v) for k, v in run.latency.items()},
            "items_kind": args.items,
            "known_before": f"{known} of {n} items (the model named the capital before editing)",
            "scores_items_known_before": {
                k: round(sum(x for x, kn in zip(v, run.known) if kn) / max(1, sum(run.known)), 3)
                for k, v in run.item_scores.items()} if any(run.known) else None,
            "scores": {k: round(sum(v) / len(v), 3) if v else None for k, v in run.scores.items()},
            "counts": {k: f"{sum(v)}/{len(v)}" for k, v in run.scores.items()},
            "retained_at_end": {k: round(sum(v) / len(v), 3) if v else None for k, v in at_end.items()},
            "latency_s": {"median": pct(all_latency, 0.5), "p90": pct(all_latency, 0.9),
                          **{f"median_{k}": pct(v, 0.5) for k, v in run.latency.items()}},
            "latencies_s": {k: [round(x, 1) for x in v] for k, v in run.latency.items()},
            "methods_used": dict(run.methods),
            "failures": run.failures[:20], "failed_transactions": len(run.failures),
            "ledger_records_applied": len(handle.ledger.applied),
            "guard": guard_report,
            "wall_s": round(time.perf_counter() - started, 1),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
