"""What the content guard decides about one edit: :class:`Verdict`, made of :class:`GuardHit` s."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class GuardAction(StrEnum):
    """What the controller does with an edit. Ordered by severity: ``allow < quarantine < refuse``."""

    ALLOW = "allow"
    QUARANTINE = "quarantine"
    REFUSE = "refuse"

    @property
    def severity(self) -> int:
        """0 for allow, 1 for quarantine, 2 for refuse."""
        return _SEVERITY[self]


_SEVERITY = {GuardAction.ALLOW: 0, GuardAction.QUARANTINE: 1, GuardAction.REFUSE: 2}


class GuardHit(BaseModel):
    """One signal that fired on one checked text (a lexicon match or a classifier score above a threshold)."""

    model_config = ConfigDict(frozen=True)

    signal: str = Field(description="'lexicon' or 'classifier'.")
    action: GuardAction
    score: float = Field(ge=0.0, le=1.0)
    category: str = Field(default="", description="Lexicon category, e.g. 'cbrn'; empty for the classifier.")
    matched: str = Field(default="", description="The lexicon term(s) that matched, or the nearest harmful example.")
    text: str = Field(description="The checked text the signal fired on (the edit text, a triple or a part).")

    @property
    def reason(self) -> str:
        """One human-readable line naming the signal and what matched."""
        if self.signal == "lexicon":
            return f"lexicon [{self.category}] matched {self.matched} in {self.text!r} -> {self.action}"
        return f"classifier p(harmful)={self.score:.2f} on {self.text!r} -> {self.action}; {self.matched}"


class Verdict(BaseModel):
    """The guard's decision on one edit.

    ``score`` is the strongest signal in [0, 1] (1.0 for a refusing lexicon match, else the classifier's
    probability). ``reasons`` are the human-readable lines for logs and the API; ``hits`` the same as data.
    """

    model_config = ConfigDict(frozen=True)

    action: GuardAction
    score: float = Field(ge=0.0, le=1.0)
    reasons: tuple[str, ...] = ()
    hits: tuple[GuardHit, ...] = ()

    @property
    def blocked(self) -> bool:
        """Whether the edit must not be applied now (refused or held for review)."""
        return self.action is not GuardAction.ALLOW
