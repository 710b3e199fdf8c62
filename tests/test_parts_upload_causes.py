"""Hostile STL uploads the other tests do not send, each refused with a 4xx whose message
names the cause, and nothing stored."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest
from fastapi.testclient import TestClient

from orchestrator.core.config import Settings
from orchestrator.parts.generate import binary_stl_bytes
from tests.conftest import Network
from tests.test_parts_api import ascii_stl, box_triangles, stored_files, upload


def zip_bomb() -> bytes:
    """A small zip that unpacks to 50 MB of zeros: an archive is not an STL."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("part.stl", b"\0" * 50_000_000)
    return buffer.getvalue()


def with_nan(triangles: np.ndarray) -> np.ndarray:
    poisoned = triangles.copy()
    poisoned[0, 0, 0] = np.nan
    return poisoned


BOX = box_triangles(20, 20, 5)
# (content, a word the refusal must contain)
CAUSES = {
    "empty": (b"", "empty"),
    "declared count beyond the body": (
        b"\0" * 80 + struct.pack("<I", 10_000_000) + b"\0" * 500,
        "cut short",
    ),
    "binary NaN": (binary_stl_bytes(with_nan(BOX), "nan"), "nan"),
    "open mesh": (binary_stl_bytes(BOX[:-1], "open"), "closed"),
    "zero-area faces": (
        binary_stl_bytes(np.concatenate([BOX, np.zeros((2, 3, 3))]), "flat"),
        "degenerate",
    ),
    "ASCII garbage": (ascii_stl(BOX).replace(b"vertex", b"vortex", 3), "stl"),
    "zip bomb": (zip_bomb(), "stl"),
    "PNG": (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "stl"),
}


@pytest.mark.parametrize(("content", "cause"), CAUSES.values(), ids=CAUSES.keys())
def test_a_hostile_upload_is_a_4xx_naming_its_cause(
    client: TestClient, network: Network, settings: Settings, content: bytes, cause: str
) -> None:
    response = upload(client, network.coordinator, content)
    assert 400 <= response.status_code < 500, response.text
    assert cause in response.json()["detail"].lower(), response.json()["detail"]
    assert stored_files(settings) == set()
