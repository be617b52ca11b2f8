"""Options of the HTTP layer only (the product's settings stay in :class:`kg.settings.Settings`).

Built at the edge (``kgedit serve`` or the caller of :func:`api.app.create_app`) like ``Settings``;
environment variables use the same ``KGEDIT_`` prefix, e.g. ``KGEDIT_CORS_ORIGINS='["http://localhost:3000"]'``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiOptions(BaseSettings):
    """CORS, upload limits, jobs and chat grounding of the HTTP service."""

    model_config = SettingsConfigDict(env_prefix="KGEDIT_", extra="ignore", frozen=True)

    cors_origins: tuple[str, ...] = Field(default=(), description="Origins allowed by CORS ('*' for any).")
    max_upload_bytes: int = Field(default=64 << 20, ge=1, description="Largest file accepted by import jobs.")
    job_workers: int = Field(default=1, ge=1, le=8, description="Threads running long jobs (imports).")
    keep_jobs: int = Field(default=200, ge=1, description="Finished jobs remembered for GET /v1/jobs/{id}.")
    ground_entities: int = Field(default=3, ge=0, description="Entities whose facts ground a chat answer.")
    ground_facts: int = Field(default=12, ge=0, description="Facts per entity given to the model when grounding.")
