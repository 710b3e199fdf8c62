"""The parametric designs of the three reference parts: headband, reinforcement, AMICROCHE.

Each design is a frozen parameter set and a pure function from it to triangles. Dimensions
are millimetres; every part lies flat on z = 0 with its bounding box starting at the origin.

The face shield takes an A4 film (297 mm wide) punched with a standard 4-hole punch: holes
at -120, -40, +40 and +120 mm from the middle of its top edge. The film wraps round the
front of the headband, so the pegs sit at those arc lengths along the band's outer face.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np

from orchestrator.parts.extrusion import FloatArray, Peg, extrude, strip_outline

FOUR_HOLE_PUNCH_OFFSETS_MM = (-120.0, -40.0, 40.0, 120.0)


@dataclass(frozen=True)
class BandParameters:
    """A circular arc band, printed flat, with pegs on its outer face.

    `peg_arc_positions_mm` are arc lengths along the outer face from the band's front
    middle (negative to the left). `max_segment_deg` bounds how finely arcs are divided.
    """

    outer_radius_mm: float
    thickness_mm: float
    height_mm: float
    half_span_deg: float
    peg_arc_positions_mm: tuple[float, ...]
    peg_width_mm: float
    peg_length_mm: float
    peg_height_mm: float
    max_segment_deg: float = 1.0


@dataclass(frozen=True)
class HookParameters:
    """The AMICROCHE: a flat strip with a button nub, a handle and a door-handle hook.

    The centreline runs straight through the nub and the handle, turns 180 degrees round
    the hook and runs back as the hook's lip. Widths change linearly over `taper_mm`.
    """

    nub_length_mm: float
    nub_width_mm: float
    handle_length_mm: float
    handle_width_mm: float
    hook_radius_mm: float
    hook_width_mm: float
    lip_length_mm: float
    taper_mm: float
    thickness_mm: float
    max_segment_deg: float = 5.0
    max_segment_mm: float = 2.0


# A Prusa RC3-style headband: about 179 x 123 mm on the bed, 20 mm tall. Beyond the four
# film pegs, one peg near each end holds the elastic.
HEADBAND = BandParameters(
    outer_radius_mm=86.5,
    thickness_mm=2.5,
    height_mm=20.0,
    half_span_deg=115.0,
    peg_arc_positions_mm=(-168.0, *FOUR_HOLE_PUNCH_OFFSETS_MM, 168.0),
    peg_width_mm=4.0,
    peg_length_mm=4.5,
    peg_height_mm=4.0,
)

# The bottom reinforcement follows the same curve as the headband so the film hangs straight;
# it spans the film's 297 mm width and takes the same four holes along the film's lower edge.
REINFORCEMENT = BandParameters(
    outer_radius_mm=86.5,
    thickness_mm=2.0,
    height_mm=8.0,
    half_span_deg=96.0,
    peg_arc_positions_mm=FOUR_HOLE_PUNCH_OFFSETS_MM,
    peg_width_mm=4.0,
    peg_length_mm=4.5,
    peg_height_mm=4.0,
)

# Hook gap about 24 mm: room for the usual 19-22 mm door lever with a finger's play.
AMICROCHE = HookParameters(
    nub_length_mm=10.0,
    nub_width_mm=7.0,
    handle_length_mm=75.0,
    handle_width_mm=14.0,
    hook_radius_mm=18.0,
    hook_width_mm=10.0,
    lip_length_mm=14.0,
    taper_mm=6.0,
    thickness_mm=5.0,
)


def band_triangles(params: BandParameters) -> FloatArray:
    """Triangles of an arc band with its pegs."""
    outer, inner = params.outer_radius_mm, params.outer_radius_mm - params.thickness_mm
    half_span = math.radians(params.half_span_deg)
    peg_half_angle = params.peg_width_mm / 2 / outer
    peg_centres = [position / outer for position in params.peg_arc_positions_mm]
    if any(abs(c) + peg_half_angle >= half_span for c in peg_centres):
        raise ValueError("every peg must lie on the band")

    # Each peg spans exactly one outline edge; the rest of the arc is divided finely.
    breakpoints = sorted(
        {-half_span, half_span}
        | {c - peg_half_angle for c in peg_centres}
        | {c + peg_half_angle for c in peg_centres}
    )
    peg_starts = {round(c - peg_half_angle, 12) for c in peg_centres}
    max_step = math.radians(params.max_segment_deg)
    angles: list[float] = []
    peg_segments: list[int] = []
    for start, stop in itertools.pairwise(breakpoints):
        if round(start, 12) in peg_starts:
            peg_segments.append(len(angles))
            angles.append(start)
            continue
        pieces = max(1, math.ceil((stop - start) / max_step))
        angles += np.linspace(start, stop, pieces, endpoint=False).tolist()
    angles.append(breakpoints[-1])

    # Angle 0 is the front middle at -y; the band runs from the wearer's left to right,
    # so the centre of the arc (the head) is on the left of the direction of travel.
    phi = np.array(angles)
    direction = np.column_stack([np.sin(phi), -np.cos(phi)])
    outline = strip_outline(left=inner * direction, right=outer * direction)
    pegs = [
        Peg(edge=segment, length_mm=params.peg_length_mm, height_mm=params.peg_height_mm)
        for segment in peg_segments
    ]
    return _resting_at_origin(extrude(outline, params.height_mm, pegs))


def hook_triangles(params: HookParameters) -> FloatArray:
    """Triangles of the AMICROCHE hook."""
    centres, tangents, arc_lengths = _hook_centreline(params)
    handle_end = params.nub_length_mm + params.handle_length_mm
    widths = np.interp(
        arc_lengths,
        [
            0.0,
            params.nub_length_mm,
            params.nub_length_mm + params.taper_mm,
            handle_end - params.taper_mm,
            handle_end,
        ],
        [
            params.nub_width_mm,
            params.nub_width_mm,
            params.handle_width_mm,
            params.handle_width_mm,
            params.hook_width_mm,
        ],
    )
    left_normals = np.column_stack([-tangents[:, 1], tangents[:, 0]])
    half = (widths / 2)[:, None]
    left, right = centres + half * left_normals, centres - half * left_normals

    # Round ends: the nub's is the button-pressing tip, the lip's keeps the hook kind to hands.
    cap_steps = 12
    psi = np.linspace(0.0, math.pi, cap_steps + 1)[1:-1, None]
    start_radius, end_radius = widths[0] / 2, widths[-1] / 2
    start_cap = centres[0] + start_radius * (
        np.cos(psi) * left_normals[0] - np.sin(psi) * tangents[0]
    )
    end_cap = centres[-1] + end_radius * (
        -np.cos(psi) * left_normals[-1] + np.sin(psi) * tangents[-1]
    )
    outline = strip_outline(left=left, right=right, start_cap=start_cap, end_cap=end_cap)
    return _resting_at_origin(extrude(outline, params.thickness_mm))


def _hook_centreline(params: HookParameters) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Points, unit tangents and arc lengths along the hook's centreline."""
    straight = params.nub_length_mm + params.handle_length_mm
    n_straight = math.ceil(straight / params.max_segment_mm)
    s_handle = np.linspace(0.0, straight, n_straight, endpoint=False)
    handle = np.column_stack([s_handle, np.zeros_like(s_handle)])
    handle_tangents = np.tile([1.0, 0.0], (len(s_handle), 1))

    n_arc = math.ceil(180.0 / params.max_segment_deg)
    turn = np.linspace(0.0, math.pi, n_arc, endpoint=False)
    radius = params.hook_radius_mm
    arc = np.column_stack([straight + radius * np.sin(turn), radius - radius * np.cos(turn)])
    arc_tangents = np.column_stack([np.cos(turn), np.sin(turn)])
    s_arc = straight + radius * turn

    n_lip = math.ceil(params.lip_length_mm / params.max_segment_mm)
    s_lip_local = np.linspace(0.0, params.lip_length_mm, n_lip + 1)
    lip = np.column_stack([straight - s_lip_local, np.full_like(s_lip_local, 2 * radius)])
    lip_tangents = np.tile([-1.0, 0.0], (len(s_lip_local), 1))
    s_lip = straight + radius * math.pi + s_lip_local

    return (
        np.concatenate([handle, arc, lip]),
        np.concatenate([handle_tangents, arc_tangents, lip_tangents]),
        np.concatenate([s_handle, s_arc, s_lip]),
    )


def _resting_at_origin(triangles: FloatArray) -> FloatArray:
    # Shifting by a float32-exact amount keeps shared vertices bit-identical.
    lowest = triangles.reshape(-1, 3).min(axis=0).astype(np.float32).astype(np.float64)
    return (triangles - lowest).astype(np.float32).astype(np.float64)
