"""``ContentGuard``: refuses or quarantines edits whose text or triples are harmful.

Two signals, combined by taking the most severe: the curated :class:`~controller.guard.lexicon.Lexicon`
(a refusing term refuses on its own) and the embedding :class:`~controller.guard.classifier.HarmClassifier`
(probability at or above the refuse threshold refuses; in the band below it, down to the quarantine
threshold, quarantines). Role checks on protected relations and burst detection live in the controller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np

from .classifier import HarmClassifier
from .config import GuardConfig
from .embedder import Embedder, MiniLM
from .lexicon import Lexicon
from .texts import CheckedText, checked_texts
from .verdict import GuardAction, GuardHit, Verdict

log = logging.getLogger(__name__)

LEXICON_FILE = "lexicon.json"
_LEXICON_SCORE = {GuardAction.REFUSE: 1.0, GuardAction.QUARANTINE: 0.75}


class ContentGuard:
    """The content part of the toxic-knowledge guard.

    The lexicon and the classifier's weights load (and are checksum-verified) when the guard is made; the
    embedder loads on the first :meth:`check` that needs it, once per guard. Pass ``embedder`` to share one.

    Raises:
        ConfigError: an artefact is missing, malformed or fails its checksum.
    """

    def __init__(self, config: GuardConfig | None = None, *, embedder: Embedder | None = None):
        self.config = config or GuardConfig()
        self._lexicon = Lexicon.load(self.config.data_dir / LEXICON_FILE)
        self._classifier = HarmClassifier.load(self.config.data_dir) if self.config.use_classifier else None
        self._embedder = embedder
        self._lock = threading.Lock()
        q, r = self._classifier.thresholds if self._classifier else (1.0, 1.0)
        self.refuse_threshold = self.config.refuse_threshold or r
        self.quarantine_threshold = min(self.config.quarantine_threshold or q, self.refuse_threshold)

    @property
    def embedder_loaded(self) -> bool:
        """Whether this guard has loaded (or was given) its embedder."""
        return self._embedder is not None and bool(getattr(self._embedder, "loaded", True))

    @property
    def classifier_info(self) -> dict | None:
        """The classifier artefact's metadata (thresholds, C, data sources and counts, checksum), or None when off."""
        if self._classifier is None:
            return None
        return {k: v for k, v in self._classifier.meta.items() if k != "exemplar_texts"}

    def check(self, text: str | None = None, triples: Sequence[tuple[str, str, str]] = ()) -> Verdict:
        """Judge one edit given as free text, triples, or both.

        Returns:
            A :class:`Verdict`; ``allow`` with a reason saying so when there is nothing to check.

        Raises:
            InvalidInput: ``text`` is not a string or a triple is not three strings.
            ConfigError: the classifier is on and the embedder cannot be loaded.
        """
        texts = checked_texts(text, triples, max_chars=self.config.max_text_chars)
        if not texts:
            return Verdict(action=GuardAction.ALLOW, score=0.0, reasons=("nothing to check: no text and no triples",))
        hits = [*self._lexicon_hits([c.text for c in texts]), *self._classifier_hits(texts)]
        verdict = self._decide(hits)
        if verdict.blocked:
            log.info("guard %s (score %.2f): %s", verdict.action, verdict.score, "; ".join(verdict.reasons))
        return verdict

    def _lexicon_hits(self, texts: list[str]) -> list[GuardHit]:
        return [GuardHit(signal="lexicon", action=m.action, score=_LEXICON_SCORE[m.action], category=m.category,
                         matched=m.terms, text=t) for t in texts for m in self._lexicon.match(t)]

    def _classifier_hits(self, texts: list[CheckedText]) -> list[GuardHit]:
        if self._classifier is None:
            return []
        hits = []
        scores = self._classifier.score(self._embed([c.text for c in texts]))
        for c, s in zip(texts, scores, strict=True):
            action = self._action_for(s.probability, name=c.name)
            if c.name and action is GuardAction.ALLOW:
                continue  # a bare name's score does not count below the refuse threshold
            hits.append(GuardHit(signal="classifier", action=action,
                                 score=min(max(s.probability, 0.0), 1.0), text=c.text,
                                 matched=f"nearest harmful example (cos {s.similarity:.2f}): {s.nearest!r}"))
        return hits

    def _action_for(self, probability: float, *, name: bool = False) -> GuardAction:
        if probability >= self.refuse_threshold:
            return GuardAction.REFUSE
        if name or probability < self.quarantine_threshold:
            return GuardAction.ALLOW  # a bare name is judged only at the refuse threshold (see texts.NAME_WORDS)
        return GuardAction.QUARANTINE

    def _decide(self, hits: list[GuardHit]) -> Verdict:
        score = max((h.score for h in hits), default=0.0)
        firing = sorted((h for h in hits if h.action is not GuardAction.ALLOW),
                        key=lambda h: (-h.action.severity, -h.score))
        if firing:
            return Verdict(action=firing[0].action, score=score, reasons=tuple(h.reason for h in firing),
                           hits=tuple(firing))
        top = max((h.score for h in hits if h.signal == "classifier"), default=None)
        why = ("allowed: no lexicon match (classifier off)" if top is None else
               f"allowed: no lexicon match; highest classifier p(harmful)={top:.2f} is below the quarantine "
               f"threshold {self.quarantine_threshold:.2f}")
        return Verdict(action=GuardAction.ALLOW, score=score, reasons=(why,))

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._embedder is None:
                self._embedder = MiniLM(self.config.embedder_path)
            embedder = self._embedder
        return embedder.encode(texts)
