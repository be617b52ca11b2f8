"""The guard's one configuration object, built by the caller and passed in (never read at import)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The shipped lexicon and classifier artefacts.
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "guard"


class GuardConfig(BaseModel):
    """Where the guard's artefacts live and how strict it is.

    Thresholds left as ``None`` use the values recorded in the artefact by the build (chosen on a validation
    split). An edit whose classifier probability is ``>= refuse_threshold`` is refused; one in
    ``[quarantine_threshold, refuse_threshold)`` is held for review.
    """

    model_config = ConfigDict(frozen=True)

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="Folder with lexicon.json and classifier.*.")
    use_classifier: bool = Field(default=True, description="False: lexicon only (no embedder is ever loaded).")
    refuse_threshold: float | None = Field(default=None, gt=0.0, le=1.0)
    quarantine_threshold: float | None = Field(default=None, gt=0.0, le=1.0)
    embedder_path: Path | None = Field(default=None, description="A sentence-transformers folder; None: MiniLM.")
    max_text_chars: int = Field(default=20_000, ge=1, description="Longer texts are checked up to this length.")

    @model_validator(mode="after")
    def _ordered(self) -> GuardConfig:
        q, r = self.quarantine_threshold, self.refuse_threshold
        if q is not None and r is not None and q > r:
            raise ValueError(f"quarantine_threshold {q} is above refuse_threshold {r}")
        return self
