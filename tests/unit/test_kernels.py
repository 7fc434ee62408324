"""Section 1's kernels and cross-correlation: known responses, and agreement with OpenCV."""

import cv2
import numpy as np
import pytest

from convstudy import kernels
from convstudy.conv import BORDERS, cross_correlate2d
from convstudy.experiments.edges import edge_responses, filter2d_cv2

ALL_KERNELS = kernels.edge_kernels()


def test_the_textbook_kernels():
    np.testing.assert_array_equal(
        kernels.edge_kernel("sobel", "vertical"), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    )
    np.testing.assert_array_equal(
        kernels.edge_kernel("sobel", "horizontal"), [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    )
    np.testing.assert_array_equal(
        kernels.edge_kernel("prewitt", "vertical"), [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]
    )
    # The "/" edge: zeros along the anti-diagonal.
    np.testing.assert_array_equal(
        kernels.edge_kernel("prewitt", "diag45"), [[-1, -1, 0], [-1, 0, 1], [0, 1, 1]]
    )
    np.testing.assert_array_equal(
        kernels.edge_kernel("sobel", "diag135"), [[0, -1, -2], [1, 0, -1], [2, 1, 0]]
    )


@pytest.mark.parametrize("key", list(ALL_KERNELS))
def test_every_kernel_sums_to_zero_and_keeps_its_family_weights(key):
    kernel = ALL_KERNELS[key]
    assert kernel.shape == (3, 3) and kernel.dtype == np.float64
    assert kernel.sum() == 0
    vertical = kernels.edge_kernel(key[0], "vertical")
    np.testing.assert_array_equal(np.sort(kernel.ravel()), np.sort(vertical.ravel()))


@pytest.mark.parametrize("family", kernels.FAMILIES)
def test_orientations_are_rotations_of_each_other(family):
    vertical = kernels.edge_kernel(family, "vertical")
    horizontal = kernels.edge_kernel(family, "horizontal")
    # Two 45-degree steps are a quarter turn clockwise.
    np.testing.assert_array_equal(horizontal, np.rot90(vertical, -1))
    np.testing.assert_array_equal(
        kernels.edge_kernel(family, "diag135"), np.rot90(kernels.edge_kernel(family, "diag45"), -1)
    )
    np.testing.assert_array_equal(kernels.rotate_45(vertical, 8), vertical)
    np.testing.assert_array_equal(kernels.rotate_45(vertical, 4), -vertical)


def test_bad_names_and_shapes_are_refused():
    with pytest.raises(ValueError, match="unknown kernel family"):
        kernels.edge_kernel("canny", "vertical")
    with pytest.raises(ValueError, match="unknown orientation"):
        kernels.edge_kernel("sobel", "diagonal")
    with pytest.raises(ValueError, match="3x3"):
        kernels.rotate_45(np.zeros((5, 5)))


def _largest_responses(image):
    responses, _ = edge_responses(image, ALL_KERNELS)
    return {key: np.abs(response).max() for key, response in responses.items()}


def test_a_vertical_step_edge():
    image = np.zeros((20, 20))
    image[:, 10:] = 1.0
    largest = _largest_responses(image)
    # The matched kernel gives its full gain, the diagonals less, the orthogonal one nothing.
    assert largest["sobel", "vertical"] == pytest.approx(4.0)
    assert largest["sobel", "diag45"] == pytest.approx(3.0)
    assert largest["sobel", "diag135"] == pytest.approx(3.0)
    assert largest["sobel", "horizontal"] == 0.0
    assert largest["prewitt", "vertical"] == pytest.approx(3.0)
    assert largest["prewitt", "diag45"] == pytest.approx(2.0)
    assert largest["prewitt", "horizontal"] == 0.0
    # Only the two columns beside the step respond.
    response = cross_correlate2d(image, ALL_KERNELS["sobel", "vertical"])
    assert set(np.nonzero(response)[1]) == {9, 10}


def test_a_horizontal_step_edge():
    image = np.zeros((20, 20))
    image[12:, :] = 1.0
    largest = _largest_responses(image)
    assert largest["sobel", "horizontal"] == pytest.approx(4.0)
    assert largest["sobel", "vertical"] == 0.0
    # Brighter below: the horizontal kernel's positive row is the bottom one.
    assert cross_correlate2d(image, ALL_KERNELS["sobel", "horizontal"]).min() >= 0


@pytest.mark.parametrize("family", kernels.FAMILIES)
def test_a_diagonal_step_edge(family):
    rows, columns = np.indices((24, 24))
    image = (rows + columns > 24).astype(float)  # the boundary runs like "/"
    responses, _ = edge_responses(image, ALL_KERNELS)
    # Inside the image (the mirrored border breaks the diagonal symmetry where the edge meets it).
    largest = {key: np.abs(r[1:-1, 1:-1]).max() for key, r in responses.items()}
    assert largest[family, "diag135"] == 0.0
    assert largest[family, "diag45"] > max(
        largest[family, "vertical"], largest[family, "horizontal"]
    )


def test_flat_images_give_no_response():
    image = np.full((9, 11), 0.37)
    for kernel in ALL_KERNELS.values():
        np.testing.assert_allclose(cross_correlate2d(image, kernel), 0.0, atol=1e-12)


def test_cross_correlation_does_not_flip_the_kernel():
    image = np.zeros((7, 7))
    image[3, 3] = 1.0
    kernel = np.arange(9.0).reshape(3, 3)
    # Correlating an impulse paints the kernel turned by 180 degrees.
    np.testing.assert_array_equal(cross_correlate2d(image, kernel)[2:5, 2:5], kernel[::-1, ::-1])


@pytest.mark.parametrize("border", list(BORDERS))
@pytest.mark.parametrize("kernel_shape", [(3, 3), (1, 1), (2, 3), (4, 5), (5, 5), (1, 7)])
def test_numpy_cross_correlation_equals_cv2_filter2d(border, kernel_shape):
    rng = np.random.default_rng(sum(kernel_shape) + len(border))
    image = rng.random((23, 31))
    kernel = rng.standard_normal(kernel_shape)
    expected = cv2.filter2D(image, cv2.CV_64F, kernel, borderType=BORDERS[border][1])
    np.testing.assert_allclose(cross_correlate2d(image, kernel, border), expected, atol=1e-12)


@pytest.mark.parametrize("key", list(ALL_KERNELS))
def test_edge_kernels_on_a_photograph_like_image_equal_cv2(key):
    rng = np.random.default_rng(5)
    image = cv2.GaussianBlur(rng.random((60, 80)), (0, 0), 2.0)
    np.testing.assert_allclose(
        cross_correlate2d(image, ALL_KERNELS[key]),
        filter2d_cv2(image, ALL_KERNELS[key]),
        atol=1e-12,
    )


def test_the_default_border_mirrors_without_repeating_the_edge_pixel():
    # A linear ramp reflected about its edge pixel: the horizontal gradient at the border is 0.
    image = np.tile(np.arange(8.0), (5, 1))
    response = cross_correlate2d(image, ALL_KERNELS["sobel", "vertical"])
    np.testing.assert_array_equal(response[:, 0], 0.0)
    np.testing.assert_array_equal(response[:, 1:-1], 8.0)
    with pytest.raises(ValueError, match="unknown border"):
        cross_correlate2d(image, np.ones((3, 3)), "wrap")


def test_combined_is_the_largest_absolute_response():
    a = np.array([[1.0, -5.0], [0.0, 2.0]])
    b = np.array([[-3.0, 4.0], [0.5, -2.5]])
    np.testing.assert_array_equal(kernels.combine_orientations([a, b]), [[3, 5], [0.5, 2.5]])


@pytest.mark.parametrize("image_shape", [(1, 1), (1, 5), (5, 1), (2, 2), (2, 7)])
@pytest.mark.parametrize("kernel_shape", [(3, 3), (5, 5), (7, 3)])
def test_images_smaller_than_the_kernel_reach_are_cross_correlated_like_cv2(
    image_shape, kernel_shape
):
    # OpenCV extends a 1-pixel side by repeating it and reflects again past the far side; a
    # user's folder may hold such images (icons, 1-pixel spacers).
    rng = np.random.default_rng(sum(image_shape) * 10 + sum(kernel_shape))
    image = rng.random(image_shape)
    kernel = rng.standard_normal(kernel_shape)
    np.testing.assert_allclose(
        cross_correlate2d(image, kernel), filter2d_cv2(image, kernel), atol=1e-12
    )
