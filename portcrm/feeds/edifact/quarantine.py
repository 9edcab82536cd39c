"""Where a file goes once it is dealt with: `done/`, or `quarantine/` with its report beside it.

A file is moved only after its events are committed, so a crash before the move leaves it where it was, to
be taken again (harmlessly: its interchange or its events are recognised). The report is written aside and
renamed into place before the file moves, so a report is never half written. A name already taken in the
folder gets a number (`x.1.edi`): nothing there is ever overwritten.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DONE, QUARANTINE = "done", "quarantine"
REPORT_SUFFIX = ".report.txt"


def move_to_done(path: Path, folder: Path) -> Path:
    return _move(path, folder)


def quarantine(path: Path, folder: Path, report: str) -> tuple[Path, Path]:
    """Move the file into the folder with its report; returns where each is."""
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    report_path = target.with_name(target.name + REPORT_SUFFIX)
    partial = report_path.with_name(f".{report_path.name}.{os.getpid()}.tmp")
    partial.write_text(report, encoding="utf-8")
    os.replace(partial, report_path)
    return _move(path, folder, target), report_path


def _move(path: Path, folder: Path, target: Path | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = target or _free_name(folder, path.name)
    shutil.move(path, target)  # a rename on the same disk; a copy and delete from elsewhere (the CLI's files)
    return target


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, dot, suffix = name.partition(".")
    number = 0
    while candidate.exists() or candidate.with_name(candidate.name + REPORT_SUFFIX).exists():
        number += 1
        candidate = folder / f"{stem}.{number}{dot}{suffix}" if dot else folder / f"{name}.{number}"
    return candidate
