"""Hand-designed edge-detection kernels: Prewitt and Sobel in four orientations.

Each kernel is meant for cross-correlation (the operation deep-learning "convolution" layers and
cv2.filter2D compute: the kernel is not flipped). An orientation names the EDGE the kernel finds,
as seen on screen (rows grow downwards), measured counter-clockwise from the horizontal:

  horizontal (0 deg)   intensity changes from top to bottom     Sobel [[-1,-2,-1],[0,0,0],[1,2,1]]
  diag45 (45 deg)      an edge from lower left to upper right, like "/"
  vertical (90 deg)    intensity changes from left to right     Sobel [[-1,0,1],[-2,0,2],[-1,0,1]]
  diag135 (135 deg)    an edge from upper left to lower right, like "\\"

Every kernel is the vertical one with its outer ring of eight weights turned by multiples of
45 degrees, so all orientations of a family have the same weights and the same gain, and each
kernel's weights sum to zero (a flat region gives no response). On a straight step edge a kernel
responds most when the edge has its own orientation, less (but not zero) at 45 degrees from it,
and not at all at right angles to it (e.g. the horizontal kernel on a vertical step).
"""

import numpy as np

FAMILIES = ("prewitt", "sobel")
ORIENTATIONS = ("horizontal", "diag45", "vertical", "diag135")
ORIENTATION_DEGREES = {"horizontal": 0, "diag45": 45, "vertical": 90, "diag135": 135}

# The vertical-edge kernel of each family: a smoothing column (1, 1, 1) or (1, 2, 1) times a
# central difference (-1, 0, 1) along the rows.
_VERTICAL = {
    "prewitt": np.outer([1.0, 1.0, 1.0], [-1.0, 0.0, 1.0]),
    "sobel": np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0]),
}

# The outer ring of a 3x3 kernel, clockwise from the top-left corner.
_RING = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0))

# Turning the vertical kernel clockwise by 45 degrees gives the "/" edge, by 90 the horizontal,
# by 135 the "\" edge (an edge turned clockwise by 45 deg is at 90 - 45 deg counter-clockwise).
_CLOCKWISE_STEPS = {"vertical": 0, "diag45": 1, "horizontal": 2, "diag135": 3}


def rotate_45(kernel: np.ndarray, steps: int = 1) -> np.ndarray:
    """A 3x3 kernel with its outer ring turned clockwise by 45 degrees per step.

    Turning the ring (rather than resampling the kernel) keeps every weight, so a rotated kernel
    has the same gain; two steps equal np.rot90(kernel, -1).
    """
    kernel = np.asarray(kernel)
    if kernel.shape != (3, 3):
        raise ValueError(f"rotate_45 needs a 3x3 kernel, got shape {kernel.shape}")
    ring = np.array([kernel[position] for position in _RING])
    rotated = kernel.copy()
    for position, value in zip(_RING, np.roll(ring, steps), strict=True):
        rotated[position] = value
    return rotated


def edge_kernel(family: str, orientation: str) -> np.ndarray:
    """The 3x3 float64 kernel of a family ('prewitt', 'sobel') for an edge orientation."""
    if family not in _VERTICAL:
        raise ValueError(f"unknown kernel family {family!r}; known: {', '.join(FAMILIES)}")
    if orientation not in _CLOCKWISE_STEPS:
        raise ValueError(f"unknown orientation {orientation!r}; known: {', '.join(ORIENTATIONS)}")
    return rotate_45(_VERTICAL[family], _CLOCKWISE_STEPS[orientation])


def edge_kernels(
    families: tuple[str, ...] = FAMILIES, orientations: tuple[str, ...] = ORIENTATIONS
) -> dict[tuple[str, str], np.ndarray]:
    """{(family, orientation): kernel} for every pair, families outer, in the given order."""
    return {(f, o): edge_kernel(f, o) for f in families for o in orientations}


def combine_orientations(responses: list[np.ndarray]) -> np.ndarray:
    """All orientations in one edge image: the largest absolute response at each pixel.

    This is the compass-operator combination: the strongest of the oriented detectors wins, so
    an edge of any of the four orientations shows at full strength.
    """
    return np.max(np.abs(np.stack(responses)), axis=0)
