"""Section 1's photographs: the scikit-image defaults, a user's folder, and bad input."""

import os

import cv2
import numpy as np
import pytest

from convstudy.config import ConfigError
from convstudy.images import (
    SKIMAGE_PHOTOGRAPHS,
    ImageError,
    list_images,
    read_photograph,
    shown,
    tracked_path,
)


def _write_png(path, image):
    assert cv2.imwrite(str(path), image)
    return path


@pytest.fixture
def photo_folder(tmp_path):
    rng = np.random.default_rng(0)
    _write_png(tmp_path / "colour.png", rng.integers(0, 256, (30, 40, 3), dtype=np.uint8))
    _write_png(tmp_path / "grey.jpg", rng.integers(0, 256, (20, 25), dtype=np.uint8))
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / ".DS_Store").write_bytes(b"\0\1\2")
    (tmp_path / "subfolder").mkdir()
    _write_png(tmp_path / "subfolder" / "deeper.png", np.zeros((5, 5), np.uint8))
    return tmp_path


def test_the_six_default_photographs_are_found_and_read():
    listing = list_images("skimage")
    assert list(listing.images) == list(SKIMAGE_PHOTOGRAPHS) and not listing.skipped
    camera = read_photograph("camera", listing.images["camera"])
    assert camera.grey.shape == (512, 512) and camera.rgb.shape == (512, 512, 3)
    hubble = read_photograph("hubble", listing.images["hubble_deep_field"], max_side=500)
    assert hubble.original_size == (872, 1000) and hubble.grey.shape == (436, 500)
    assert 0.0 <= hubble.grey.min() and hubble.grey.max() <= 1.0


def test_colour_becomes_grey_with_the_bt601_weights():
    photograph = read_photograph("astronaut", list_images("skimage").images["astronaut"])
    red, green, blue = np.moveaxis(photograph.rgb.astype(np.float64), 2, 0)
    np.testing.assert_allclose(
        photograph.grey, 0.299 * red + 0.587 * green + 0.114 * blue, atol=1e-5
    )


def test_a_folder_lists_its_images_and_skips_other_files(photo_folder):
    listing = list_images(str(photo_folder))
    assert list(listing.images) == ["colour", "grey"]
    assert [path.name for path, _ in listing.skipped] == ["notes.txt"]
    grey = read_photograph("grey", listing.images["grey"])
    assert grey.grey.shape == (20, 25) and grey.rgb.shape == (20, 25, 3)


def test_sixteen_bit_images_are_scaled_to_one(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    path = _write_png(tmp_path / "deep.png", ramp)
    photograph = read_photograph("deep", path)
    assert photograph.grey.max() == pytest.approx(1.0)
    np.testing.assert_allclose(photograph.grey, ramp / 65535, atol=1e-6)


def test_a_missing_folder_fails_naming_the_config_key(tmp_path):
    with pytest.raises(ConfigError, match=r"edges\.images: .*does not exist.*skimage"):
        list_images(str(tmp_path / "nowhere"))
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(ConfigError, match="is not a folder"):
        list_images(str(tmp_path / "file.png"))


def test_a_folder_without_images_fails_naming_what_it_passed_over(tmp_path):
    with pytest.raises(ConfigError, match=r"edges\.images: .* holds no image file"):
        list_images(str(tmp_path))
    (tmp_path / "readme.md").write_text("# photos")
    with pytest.raises(ConfigError, match="readme.md"):
        list_images(str(tmp_path))


def test_two_files_with_one_name_fail(tmp_path):
    _write_png(tmp_path / "cat.png", np.zeros((4, 4), np.uint8))
    _write_png(tmp_path / "cat.jpg", np.zeros((4, 4), np.uint8))
    with pytest.raises(ConfigError, match="rename one"):
        list_images(str(tmp_path))


def test_a_corrupt_image_is_listed_but_fails_to_read_naming_it(tmp_path):
    whole = cv2.imencode(".png", np.full((64, 64), 200, np.uint8))[1].tobytes()
    (tmp_path / "broken.png").write_bytes(whole[:40])  # signature intact, data cut off
    listing = list_images(str(tmp_path))
    assert list(listing.images) == ["broken"]
    with pytest.raises(ImageError, match=r"broken\.png: looks like an image but cannot"):
        read_photograph("broken", listing.images["broken"])


def _png_bytes():
    return cv2.imencode(".png", np.full((4, 4), 90, np.uint8))[1].tobytes()


def test_odd_file_names_get_a_results_name_or_are_skipped_naming_them(tmp_path):
    (tmp_path / "br{ace}.png").write_bytes(_png_bytes())
    (tmp_path / "new\nline.png").write_bytes(_png_bytes())
    (tmp_path / "plain name.png").write_bytes(_png_bytes())
    # A name that is not UTF-8: OpenCV would crash on it, so it is passed over, named.
    with open(os.fsencode(tmp_path) + b"/bad\xff.png", "wb") as stream:
        stream.write(_png_bytes())
    listing = list_images(str(tmp_path))
    assert sorted(listing.images) == ["br(ace)", "new_line", "plain name"]
    assert listing.images["br(ace)"].name == "br{ace}.png"
    assert sorted((path.name, name) for path, name in listing.renamed) == [
        ("br{ace}.png", "br(ace)"),
        ("new\nline.png", "new_line"),
    ]
    [(skipped, why)] = listing.skipped
    assert shown(skipped.name) == "bad\\xff.png" and "not valid UTF-8" in why


def test_a_braced_name_clashing_with_its_results_name_fails(tmp_path):
    (tmp_path / "br{ace}.png").write_bytes(_png_bytes())
    (tmp_path / "br(ace).jpg").write_bytes(cv2.imencode(".jpg", np.zeros((4, 4), np.uint8))[1])
    with pytest.raises(ConfigError, match=r"br\(ace\)\.jpg and br\{ace\}\.png .*rename one"):
        list_images(str(tmp_path))


def test_snakemake_tracks_a_braced_path_through_a_link(tmp_path):
    image = tmp_path / "br{ace}.png"
    image.write_bytes(_png_bytes())
    plain = tmp_path / "plain.png"
    assert tracked_path(plain, "plain", tmp_path / "links") == plain
    link = tracked_path(image, "br(ace)", tmp_path / "links")
    assert link == tmp_path / "links" / "br(ace).png" and link.resolve() == image
    moved = tmp_path / "elsewhere" / "br{ace}.png"
    moved.parent.mkdir()
    image.rename(moved)
    assert tracked_path(moved, "br(ace)", tmp_path / "links").resolve() == moved


def test_a_transparent_image_is_composited_onto_white(tmp_path):
    # Stored colour: black where fully transparent, red where half, blue where opaque.
    bgra = np.zeros((6, 4, 4), np.uint8)
    bgra[2:4] = (0, 0, 255, 128)
    bgra[4:] = (255, 0, 0, 255)
    photograph = read_photograph("clear", _write_png(tmp_path / "clear.png", bgra))
    np.testing.assert_allclose(photograph.rgb[0, 0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(photograph.rgb[2, 0], [1.0, 127 / 255, 127 / 255], atol=1e-6)
    np.testing.assert_allclose(photograph.rgb[5, 0], [0.0, 0.0, 1.0])
    assert photograph.grey[0, 0] == pytest.approx(1.0)
    assert photograph.grey[5, 0] == pytest.approx(0.114, abs=1e-3)
    # Sixteen-bit alpha, shrunk after compositing: still white where transparent.
    deep = np.zeros((40, 40, 4), np.uint16)
    deep[:, 20:, 3] = 65535
    wide = read_photograph("deep", _write_png(tmp_path / "deep.png", deep), max_side=20)
    np.testing.assert_allclose(wide.grey[:, :9], 1.0)
    np.testing.assert_allclose(wide.grey[:, 11:], 0.0)


def test_the_alpha_follows_the_exif_orientation(tmp_path):
    # A JPEG cannot hold alpha; a stand-in: the alpha is turned the way the decoded colour is.
    from convstudy.images import _alpha

    stored = np.zeros((2, 3, 4), np.uint8)
    stored[..., 0] = [[1, 2, 3], [4, 5, 6]]
    stored[..., 3] = [[0, 255, 255], [255, 255, 255]]
    path = _write_png(tmp_path / "turned.png", stored)
    turned = np.ascontiguousarray(np.rot90(stored[..., :3], 1))
    np.testing.assert_array_equal(_alpha(path, turned), np.rot90(stored[..., 3], 1) / 255)
    np.testing.assert_array_equal(_alpha(path, stored[..., :3]), stored[..., 3] / 255)
