"""A job's G-code file as a printer sees it: its name on OctoPrint and what its comments say.

The file name carries the job id, so a printer ingested through the OctoPrint-MQTT plugin
(which reports only file names) still tells which job it is printing.
"""

from __future__ import annotations

import hashlib
import re

JOB_FILE_PREFIX = "makerline-job-"
JOB_FILE_SUFFIX = ".gcode"

_JOB_FILE = re.compile(r"^makerline-job-([A-Za-z0-9_.:-]{1,64})\.gcode$")
# PrusaSlicer writes e.g. "; estimated printing time (normal mode) = 1d 2h 3m 4s".
_ESTIMATED_TIME = re.compile(rb";\s*estimated printing time \(normal mode\)\s*=\s*([0-9dhms ]+)")
_TIME_PART = re.compile(r"(\d+)\s*([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def gcode_filename(job_id: str) -> str:
    return f"{JOB_FILE_PREFIX}{job_id}{JOB_FILE_SUFFIX}"


def job_id_from_filename(name: str | None) -> str | None:
    """The job id in a file name we gave, or None for any other file (or a path's folder)."""
    if not name:
        return None
    match = _JOB_FILE.match(name.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def estimated_print_seconds(gcode: bytes) -> float | None:
    """The slicer's estimate in seconds, from the comment PrusaSlicer writes, if present."""
    match = _ESTIMATED_TIME.search(gcode)
    if not match:
        return None
    parts = _TIME_PART.findall(match.group(1).decode())
    if not parts:
        return None
    return float(sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in parts))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
