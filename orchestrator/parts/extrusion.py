"""Closed triangle meshes built from flat outlines: the one way the reference parts are made.

Every reference part is printed flat, so it is a prism: a simple 2D outline, triangulated,
swept from z = 0 to its height. A peg is a shorter prism standing on one outline edge and
pointing outwards; it is woven into the same surface (no overlapping bodies), so the result
stays a single watertight, consistently oriented shell that `is_closed(exact=True)` accepts.

Vertices are computed once and shared by index, so two faces meeting at an edge meet at
bit-identical float32 coordinates: that is what an exact closedness check compares.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Outline:
    """A simple polygon and its triangulation.

    `points` is an (k, 2) counter-clockwise ring (the last point joins the first);
    `triangles` is a (t, 3) array of counter-clockwise index triples into `points`.
    """

    points: FloatArray
    triangles: IntArray


@dataclass(frozen=True)
class Peg:
    """A rectangular peg standing on outline edge `edge` (points[edge] to points[edge + 1]).

    It points outwards, perpendicular to that edge, for `length_mm`, and rises from the bed
    to `height_mm`, which must be below the part's height.
    """

    edge: int
    length_mm: float
    height_mm: float


def strip_outline(
    left: FloatArray,
    right: FloatArray,
    start_cap: FloatArray | None = None,
    end_cap: FloatArray | None = None,
) -> Outline:
    """Outline of a strip between two side polylines walked in the same direction.

    `left` and `right` are (m, 2) arrays of paired points, left and right of the direction
    of travel. `end_cap` lists the points strictly between right[-1] and left[-1] going
    round the far end (counter-clockwise); `start_cap` those strictly between left[0] and
    right[0] going round the near end. Without a cap the end is the straight segment.
    Outline edge i, for i < m - 1, is right[i] -> right[i + 1], which is where pegs go.
    """
    if left.shape != right.shape or left.ndim != 2 or left.shape[1] != 2 or len(left) < 2:
        raise ValueError("left and right must be paired (m, 2) polylines with m >= 2")
    end = np.empty((0, 2)) if end_cap is None else end_cap
    start = np.empty((0, 2)) if start_cap is None else start_cap
    m, n_end, n_start = len(right), len(end), len(start)
    points = np.concatenate([right, end, left[::-1], start])

    def right_index(i: int) -> int:
        return i

    def left_index(i: int) -> int:
        return m + n_end + (m - 1 - i)

    triangles: list[tuple[int, int, int]] = []
    for i in range(m - 1):
        r0, r1 = right_index(i), right_index(i + 1)
        l0, l1 = left_index(i), left_index(i + 1)
        triangles += [(r0, r1, l1), (r0, l1, l0)]
    # Caps are convex (arcs round an end), so a fan from one corner triangulates them.
    end_ring = [right_index(m - 1), *range(m, m + n_end), left_index(m - 1)]
    triangles += [(end_ring[0], a, b) for a, b in itertools.pairwise(end_ring[1:])]
    first_start = m + n_end + m
    start_ring = [left_index(0), *range(first_start, first_start + n_start), right_index(0)]
    triangles += [(start_ring[0], a, b) for a, b in itertools.pairwise(start_ring[1:])]
    return Outline(points=points, triangles=np.array(triangles, dtype=np.int64))


def extrude(outline: Outline, height_mm: float, pegs: Sequence[Peg] = ()) -> FloatArray:
    """Sweep `outline` from z = 0 to `height_mm`, with `pegs`, into (n, 3, 3) triangles.

    Faces are wound counter-clockwise seen from outside, so normals point outwards.
    Raises ValueError when the outline or the pegs cannot make a valid solid.
    """
    _check_outline(outline)
    k = len(outline.points)
    peg_by_edge = {peg.edge: peg for peg in pegs}
    _check_pegs(pegs, peg_by_edge, k, height_mm)

    # Every wall is split at every peg height, so that the vertical edges of neighbouring
    # walls and of the pegs' sides meet vertex to vertex (no T-junctions).
    levels = sorted({0.0, height_mm, *(peg.height_mm for peg in pegs)})
    top = len(levels) - 1
    vertices: list[FloatArray] = [np.column_stack([outline.points, np.full(k, z)]) for z in levels]
    next_index = k * len(levels)

    def ring(i: int, level: int) -> int:
        return level * k + (i % k)

    faces: list[tuple[int, int, int]] = []
    for a, b, c in outline.triangles.tolist():
        faces.append((ring(a, top), ring(b, top), ring(c, top)))
        faces.append((ring(a, 0), ring(c, 0), ring(b, 0)))

    for edge in range(k):
        peg = peg_by_edge.get(edge)
        first_level = 0 if peg is None else levels.index(peg.height_mm)
        for level in range(first_level, top):
            faces += _wall(
                ring(edge, level),
                ring(edge + 1, level),
                ring(edge + 1, level + 1),
                ring(edge, level + 1),
            )

    for peg in pegs:
        a_xy = outline.points[peg.edge]
        b_xy = outline.points[(peg.edge + 1) % k]
        along = b_xy - a_xy
        outward = np.array([along[1], -along[0]]) / np.hypot(*along)
        tip_a_xy, tip_b_xy = a_xy + peg.length_mm * outward, b_xy + peg.length_mm * outward
        peg_top = levels.index(peg.height_mm)
        tip_a = [next_index + 2 * level for level in range(peg_top + 1)]
        tip_b = [next_index + 2 * level + 1 for level in range(peg_top + 1)]
        for level in range(peg_top + 1):
            vertices.append(np.array([[*tip_a_xy, levels[level]], [*tip_b_xy, levels[level]]]))
        next_index += 2 * (peg_top + 1)
        a = [ring(peg.edge, level) for level in range(peg_top + 1)]
        b = [ring(peg.edge + 1, level) for level in range(peg_top + 1)]
        # The peg's own ring is b, a, tip_a, tip_b (counter-clockwise); its edge b -> a is
        # shared with the outline, so it gets no wall there.
        faces += [
            (b[peg_top], a[peg_top], tip_a[peg_top]),
            (b[peg_top], tip_a[peg_top], tip_b[peg_top]),
        ]
        faces += [(b[0], tip_a[0], a[0]), (b[0], tip_b[0], tip_a[0])]
        for level in range(peg_top):
            faces += _wall(a[level], tip_a[level], tip_a[level + 1], a[level + 1])
            faces += _wall(tip_a[level], tip_b[level], tip_b[level + 1], tip_a[level + 1])
            faces += _wall(tip_b[level], b[level], b[level + 1], tip_b[level + 1])

    # Cast once, then index: shared vertices stay bit-identical in float32.
    vertex_array = np.concatenate(vertices).astype(np.float32)
    return vertex_array[np.array(faces, dtype=np.int64)].astype(np.float64)


def _wall(a0: int, b0: int, b1: int, a1: int) -> list[tuple[int, int, int]]:
    """Two triangles of the quad a0 b0 b1 a1, wound outwards for an edge a -> b of a CCW ring."""
    return [(a0, b0, b1), (a0, b1, a1)]


def signed_area(points: FloatArray) -> float:
    """Shoelace area of a ring: positive when it runs counter-clockwise."""
    x, y = points[:, 0], points[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)))


def _check_outline(outline: Outline) -> None:
    points, triangles = outline.points, outline.triangles
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 3:
        raise ValueError("an outline needs at least three 2D points")
    if signed_area(points) <= 0:
        raise ValueError("the outline must run counter-clockwise")
    corners = points[triangles]
    first, second = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    doubled_areas = first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0]
    if (doubled_areas <= 0).any():
        raise ValueError("every outline triangle must be counter-clockwise and not flat")
    if not np.isclose(doubled_areas.sum() / 2, signed_area(points)):
        raise ValueError("the triangles do not cover the outline exactly")


def _check_pegs(pegs: Sequence[Peg], peg_by_edge: dict[int, Peg], k: int, height: float) -> None:
    if len(peg_by_edge) != len(pegs):
        raise ValueError("two pegs stand on the same edge")
    for peg in pegs:
        if not 0 <= peg.edge < k:
            raise ValueError(f"peg edge {peg.edge} is not an edge of the outline")
        if not 0 < peg.height_mm < height or peg.length_mm <= 0:
            raise ValueError("a peg must be shorter than the part and stick out")
        if (peg.edge + 1) % k in peg_by_edge:
            # Neighbouring pegs would share a side wall.
            raise ValueError("pegs must not stand on neighbouring edges")
