"""The shape of a benchmark result, so every number travels with its unit, target and command."""
from __future__ import annotations

from pydantic import BaseModel, Field


class Measurement(BaseModel):
    """One reported number and the command that reproduces it."""

    name: str
    value: float | None = Field(description="None when the measurement could not be taken")
    unit: str
    command: str
    target: str | None = Field(default=None, description='human-readable, e.g. "<= 20 ms"')
    passed: bool | None = None
    note: str = ""


class Section(BaseModel):
    """One benchmark's results: the headline numbers plus a detail table and caveats."""

    title: str
    command: str = Field(default="", description="what produced the detail table")
    measurements: list[Measurement] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    rows: list[list[str]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def at_most(name: str, value: float | None, limit: float, unit: str, command: str, note: str = "") -> Measurement:
    """A measurement with an upper-bound target (inclusive)."""
    passed = None if value is None else value <= limit
    return Measurement(name=name, value=value, unit=unit, command=command,
                       target=f"<= {limit:g} {unit}".rstrip(), passed=passed, note=note)


def below(name: str, value: float | None, limit: float, unit: str, command: str, note: str = "") -> Measurement:
    """A measurement with a strict upper-bound target."""
    passed = None if value is None else value < limit
    return Measurement(name=name, value=value, unit=unit, command=command,
                       target=f"< {limit:g} {unit}".rstrip(), passed=passed, note=note)


def counted(n: int, noun: str) -> str:
    """`1 run`, `5 runs`: notes read as sentences."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
