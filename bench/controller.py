"""OneEdit-style evaluation of the controller on counterfactual edits from the demo KG; prints JSON.

    python bench/controller.py [--edits 100] [--method rome] [--home DIR]

For each of N countries (in demo-KG order, those whose capital the model already names), the capital is
edited to another country's capital, through the full transaction (plan with inverse, model edit, verify,
commit). Scores, greedy decoding of the target's length plus two tokens, first word compared:
- reliability: "The capital of X is" -> the new capital;
- reverse: "<new capital> is the capital of" -> X (the inverse fact the controller adds);
- sub_replace: after a second, conflicting edit of the same country, the prompt gives the second capital and
  not the first (the first edit was reverted, not stacked);
- latency: wall seconds per edit (median).
The guard's block/false-block rates come from ``bench/guard.py`` (run it separately; it needs the data packages).
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first)
import argparse
import csv
import json
import statistics
import tempfile
import time

from controller.facade import KGEdit
from kg.demo import demo_csv_path


def capitals() -> list[tuple[str, str]]:
    with open(demo_csv_path(), encoding="utf-8") as f:
        return [(r["subject"], r["object"]) for r in csv.DictReader(f) if r["relation"] == "capital"]


def first_word(text: str) -> str:
    words = text.strip().split()
    return words[0].strip(".,;:!?\"'").casefold() if words else ""


def hit(handle, prompt: str, target: str) -> bool:
    output = handle.generate([prompt], chat=False, max_new_tokens=len(target.split()) + 3)[0]
    return first_word(output) == first_word(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--method", default="rome")
    parser.add_argument("--home", default=None)
    args = parser.parse_args()
    pairs = capitals()
    scores: dict[str, list[bool]] = {"reliability": [], "reverse": [], "sub_replace": []}
    latency, skipped = [], 0
    with KGEdit.open(args.home or tempfile.mkdtemp(prefix="kgedit-bench-"), edit_method=args.method) as kge:
        kge.load_demo()
        handle = kge.model()
        for i, (country, capital) in enumerate(pairs):
            if len(latency) >= args.edits:
                break
            if not hit(handle, f"The capital of {country} is", capital):
                skipped += 1
                continue
            new, newer = pairs[(i + 7) % len(pairs)][1], pairs[(i + 13) % len(pairs)][1]
            start = time.perf_counter()
            try:
                kge.edit((country, "capital", new))
            except Exception as e:  # a failed verification counts as unreliable, and the bench goes on
                scores["reliability"].append(False)
                latency.append(time.perf_counter() - start)
                print(json.dumps({"edit_failed": country, "error": str(e)[:200]}), flush=True)
                continue
            latency.append(time.perf_counter() - start)
            scores["reliability"].append(hit(handle, f"The capital of {country} is", new))
            scores["reverse"].append(hit(handle, f"{new} is the capital of", country))
            try:
                kge.edit((country, "capital", newer))
                scores["sub_replace"].append(hit(handle, f"The capital of {country} is", newer))
            except Exception:
                scores["sub_replace"].append(False)
    print(json.dumps({
        "method": args.method, "edits": len(latency), "skipped_model_wrong_before": skipped,
        "scores": {k: round(sum(v) / len(v), 3) if v else None for k, v in scores.items()},
        "latency_s": {"median": round(statistics.median(latency), 2) if latency else None},
    }, indent=2))


if __name__ == "__main__":
    main()
