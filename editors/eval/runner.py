"""Running an editing method over a request set in one of three modes and scoring it (:mod:`.metrics`).

- ``single``: per request, compute the edit, apply it through the ledger, score that request, revert it;
  scores are taken after each edit on an otherwise unedited model.
- ``batch``: one record for all requests (batchable methods only), applied, scored, reverted.
- ``sequential`` with ``steps`` T: the requests in groups of T; in each group the edits are computed and applied
  one after another (each on the model the previous ones left), every request of the group is scored after the
  last edit (WISE's protocol: after all T edits), then the group is reverted through the ledger.

Every mode ends with the ledger back at the starting state and checks that the weights are bit-identical to the
ones before (a digest of the whole state dict). Locality baselines are taken on the unedited model first.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from editors._common.hparams import as_meta
from editors.base import EditMethod, method_class
from editors.eval.metrics import Baseline, EvalOptions, Scores, locality_baseline, score, summarise
from editors.requests import EditRequest
from kg.errors import InvalidInput, LedgerDrift
from models import ModelHandle
from models.digest import state_digest

logger = logging.getLogger(__name__)

MODES = ("single", "batch", "sequential")
TIMING = {"single": "after each edit, on the otherwise unedited model",
          "batch": "after the one batched edit", "sequential": "after the last of each group of T sequential edits"}


@dataclass(frozen=True)
class RunOptions:
    """``mode`` (:data:`MODES`), ``steps`` T for sequential runs, a progress bar, and the scoring options."""

    mode: str = "single"
    steps: int = 1
    progress: bool = True
    scoring: EvalOptions = field(default_factory=EvalOptions)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidInput(f"unknown evaluation mode {self.mode!r}; known: {', '.join(MODES)}")
        if self.steps < 1:
            raise InvalidInput("steps (T) must be >= 1")


@dataclass
class _Tally:
    """What a run collects: per-request scores, seconds per computed edit and per ledger apply, failures."""

    scores: list[Scores] = field(default_factory=list)
    compute: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    ledger: list[float] = field(default_factory=list)
    groups: list[float] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)


def run_eval(handle: ModelHandle, method: EditMethod, requests: Sequence[EditRequest],
             options: RunOptions = RunOptions()) -> dict[str, Any]:
    """Edit, score and revert ``requests`` with ``method``; returns a JSON-able report (means per metric, counts,
    seconds per edit, the mode and its timing).

    Raises:
        InvalidInput: no requests, an unknown mode, or batch mode with a method that is not batchable.
        LedgerDrift: the weights were not restored bit for bit at the end.
    """
    if not requests:
        raise InvalidInput("no edit requests to evaluate")
    if options.mode == "batch" and not method.batchable:
        raise InvalidInput(f"{method.name} is not batchable; use mode single or sequential")
    size = {"single": 1, "batch": len(requests), "sequential": options.steps}[options.mode]
    groups = [list(requests[i : i + size]) for i in range(0, len(requests), size)]
    start_state, digest = handle.state_id, state_digest(handle.model.state_dict())
    started = time.perf_counter()
    baselines = [locality_baseline(handle, g, options.scoring) for g in groups]
    tally = _Tally()
    with tqdm(total=len(requests), desc=f"{method.name} {options.mode}", disable=not options.progress) as bar:
        for offset, group, baseline in zip(range(0, len(requests), size), groups, baselines):
            _run_group(handle, method, group, baseline, options, tally, offset, bar)
            handle.ledger.revert_to(start_state)
    if state_digest(handle.model.state_dict()) != digest or handle.state_id != start_state:
        raise LedgerDrift(f"{method.name}: the weights differ from the originals after reverting every edit")
    return _report(handle, method, requests, options, tally, time.perf_counter() - started)


def _run_group(handle: ModelHandle, method: EditMethod, group: list[EditRequest], baseline: Baseline,
               options: RunOptions, tally: _Tally, offset: int, bar: tqdm) -> None:
    batches = [group] if options.mode == "batch" else [[r] for r in group]
    begun = time.perf_counter()
    for i, batch in enumerate(batches):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            record = method.apply(handle, batch)
        except InvalidInput as e:  # one refused edit should not end a long run: it is counted and scored unedited
            logger.warning("edit %d refused: %s", offset + i, e)
            tally.failures.append({"index": offset + i, "error": str(e)})
            bar.update(len(batch))
            continue
        t1 = time.perf_counter()
        tally.cpu.append((time.process_time() - c0) / len(batch))
        handle.ledger.apply(record)
        tally.compute.append((t1 - t0) / len(batch))
        tally.ledger.append(time.perf_counter() - t1)
        bar.update(len(batch))
    tally.groups.append(time.perf_counter() - begun)
    tally.scores += score(handle, group, baseline, options.scoring)


def _report(handle: ModelHandle, method: EditMethod, requests: Sequence[EditRequest], options: RunOptions,
            tally: _Tally, wall: float) -> dict[str, Any]:
    means, counts = summarise(tally.scores)
    return {
        "method": method.name, "mode": options.mode, "steps": options.steps if options.mode == "sequential" else None,
        "edits": len(requests), "timing": TIMING[options.mode], "model": handle.name,
        "metrics": means, "counts": counts, "failures": tally.failures,
        "seconds": {"edit_median": _median(tally.compute), "edit_p90": _p90(tally.compute),
                    "cpu_edit_median": _median(tally.cpu), "ledger_apply_median": _median(tally.ledger),
                    "group_median": _median(tally.groups),
                    "total": round(wall, 2), "per_edit": [round(x, 3) for x in tally.compute],
                    "per_group": [round(x, 3) for x in tally.groups],
                    "cpu_per_edit": [round(x, 3) for x in tally.cpu]},
        "restored": True, "hparams": _hparams(method, handle),
    }


def method_for(name: str, *, home: Path | None, overrides: dict[str, Any] | None = None) -> EditMethod:
    """The method ``name`` with its defaults changed by ``overrides`` (hyper-parameters); ``home`` (where statistics
    are cached) is passed to the methods whose constructor takes one.

    Raises:
        NotFound: unknown method, naming the known ones. InvalidInput: a knob the method does not have.
    """
    factory = method_class(name)
    takes_home = "home" in inspect.signature(factory).parameters
    return factory(home=home, **(overrides or {})) if takes_home else factory(**(overrides or {}))


def _hparams(method: EditMethod, handle: ModelHandle) -> dict[str, Any] | None:
    hparams = getattr(method, "hparams", None)
    if callable(hparams):
        hparams = hparams(handle)
    return as_meta(hparams) if dataclasses.is_dataclass(hparams) else None


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 3) if xs else None


def _p90(xs: list[float]) -> float | None:
    return round(sorted(xs)[min(len(xs) - 1, int(0.9 * len(xs)))], 3) if xs else None
