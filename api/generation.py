"""Decoding options as the API takes them, turned into the model package's decoding strategies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class DecodingOptions(BaseModel):
    """greedy (default), sampling (temperature, top_p, top_k, seed) or beam (num_beams)."""

    model_config = ConfigDict(extra="forbid")

    decoding: Literal["greedy", "sampling", "beam"] = "greedy"
    temperature: float = Field(default=1.0, gt=0.0, le=5.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    top_k: int = Field(default=0, ge=0, le=1000)
    seed: int | None = Field(default=None, ge=0, le=2**62)
    num_beams: int = Field(default=4, ge=1, le=16)

    def strategy(self) -> Any:
        from models import Beam, Greedy, Sampling  # torch loads here, not when the app starts

        if self.decoding == "sampling":
            return Sampling(temperature=self.temperature, top_p=self.top_p, top_k=self.top_k, seed=self.seed)
        if self.decoding == "beam":
            return Beam(num_beams=self.num_beams)
        return Greedy()


class GenerateCreate(DecodingOptions):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"prompts": ["The capital of France is"], "max_new_tokens": 8, "chat": False}]})

    prompts: list[str] = Field(min_length=1, max_length=16)
    max_new_tokens: int = Field(default=32, ge=1, le=512)
    chat: bool = Field(default=True, description="Wrap each prompt as a user turn of the chat template.")
    model: str | None = Field(default=None, max_length=64, description="Registered model (default: settings).")


class GeneratePublic(BaseModel):
    model: str
    outputs: list[str]
