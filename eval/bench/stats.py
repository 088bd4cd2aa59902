"""Percentiles of latency samples, computed one way for every benchmark."""
from __future__ import annotations

import numpy as np


def percentile(samples_ms: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); None for no samples rather than a fake zero."""
    if not samples_ms:
        return None
    return float(np.percentile(np.asarray(samples_ms, dtype=float), q))


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"
