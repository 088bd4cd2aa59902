"""The pointer to the active build, and each build's files, under KB_HOME.

`registry.json` is only ever replaced whole (os.replace) after a build is complete and verified,
so a reader sees the old version or the new one, never a half-built one.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ingest.models import Catalog
from kb.errors import StoreCorrupt, disk_full, is_disk_full, writes_to
from kb.models import VersionInfo

REBUILD_HINT = "run `kbbot ingest --rebuild` to rebuild the knowledge base from the catalog"


class RegistryData(BaseModel):
    active: dict[str, str] = {}  # embedder slug -> collection name
    builds: dict[str, VersionInfo] = {}  # collection name -> what was built


class Registry:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / "registry.json"

    def build_dir(self, collection: str) -> Path:
        return self.home / "builds" / collection

    def stamp(self) -> tuple[int, int]:
        """Changes whenever a new build becomes active; cheap enough to check on every search."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return (0, 0)
        return (status.st_mtime_ns, status.st_ino)  # os.replace gives a new inode even within one mtime tick

    def read(self) -> RegistryData:
        try:
            return RegistryData.model_validate_json(self.path.read_bytes())
        except FileNotFoundError:
            return RegistryData()
        except (ValidationError, ValueError, OSError) as error:
            raise StoreCorrupt(f"cannot read {self.path}: {str(error).splitlines()[0]}", REBUILD_HINT) from error

    @contextmanager
    def update(self) -> Iterator[RegistryData]:
        """Read-modify-write under a lock, so two ingests cannot lose each other's builds."""
        with writes_to(self.home):
            self.home.mkdir(parents=True, exist_ok=True)
            with open(self.home / "registry.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                data = self.read()
                yield data
                _write_atomically(self.path, data.model_dump_json(indent=2).encode())

    def start_build(self, collection: str) -> None:
        with writes_to(self.build_dir(collection)):
            self.build_dir(collection).mkdir(parents=True, exist_ok=True)

    def build_folders(self) -> list[str]:
        try:
            return [path.name for path in (self.home / "builds").iterdir() if path.is_dir()]
        except FileNotFoundError:
            return []

    def save_catalog(self, collection: str, catalog: Catalog) -> None:
        directory = self.build_dir(collection)
        with writes_to(directory):
            directory.mkdir(parents=True, exist_ok=True)
        _write_atomically(directory / "catalog.json", catalog.model_dump_json().encode())

    def load_catalog(self, collection: str) -> Catalog:
        path = self.build_dir(collection) / "catalog.json"
        try:
            return Catalog.model_validate_json(path.read_bytes())
        except (OSError, ValidationError, ValueError) as error:
            raise StoreCorrupt(f"cannot read the stored catalog {path}", REBUILD_HINT) from error

    def remove_build_files(self, collection: str) -> None:
        shutil.rmtree(self.build_dir(collection), ignore_errors=True)


def _write_atomically(path: Path, content: bytes) -> None:
    """Whole or not at all; on a full disk the temporary file is removed and the error says so."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        if is_disk_full(error):
            raise disk_full(path) from error
        raise


def set_store_aside(home: Path) -> Path | None:
    """Move the registry, builds and embedded Chroma store into aside-<time>/: a rebuild loses nothing."""
    parts = [home / name for name in ("registry.json", "builds", "chroma") if (home / name).exists()]
    if not parts:
        return None
    aside = home / f"aside-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    with writes_to(aside):
        aside.mkdir(parents=True)
    for part in parts:
        os.replace(part, aside / part.name)
    return aside
