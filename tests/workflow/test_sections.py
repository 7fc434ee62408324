"""Sections 1-3 built through Snakemake from an empty results/, and bad image folders."""

import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from convstudy.experiments.conv1x1 import (
    SHAPES_1X1,
    TABLE_COLUMNS_1X1,
    TABLE_COLUMNS_IM2COL,
)
from convstudy.experiments.conv_shapes import CASES
from convstudy.experiments.edges import TABLE_COLUMNS
from convstudy.images import SKIMAGE_PHOTOGRAPHS
from convstudy.kernels import FAMILIES, ORIENTATIONS
from tests.conftest import assert_no_traceback, run_snakemake

pytestmark = pytest.mark.slow


def test_section_edges_on_the_default_photographs(tmp_path):
    run_snakemake(tmp_path, "--cores", "2", "section_edges")
    results = tmp_path / "results"
    for name in SKIMAGE_PHOTOGRAPHS:
        assert (results / "figures" / "edges" / f"{name}.png").stat().st_size > 10_000
    for figure in ("edge_energy.png", "edge_kernels.png"):
        assert (results / "figures" / figure).is_file()
    table = pd.read_csv(results / "tables" / "edge_energy.csv")
    assert list(table.columns) == TABLE_COLUMNS
    assert len(table) == len(SKIMAGE_PHOTOGRAPHS) * len(FAMILIES) * len(ORIENTATIONS)
    assert set(table["image"]) == set(SKIMAGE_PHOTOGRAPHS)
    shares = table.groupby(["image", "family"])["share"].sum()
    np.testing.assert_allclose(shares, 1.0)
    assert (table["energy"] > 0).all()
    assert table["max_abs_diff_vs_cv2"].max() < 1e-9
    assert "| image" in (results / "tables" / "edge_energy.md").read_text()
    assert not list(results.rglob("*.part"))


def test_section_conv_shapes(tmp_path):
    run_snakemake(tmp_path, "--cores", "2", "section_conv_shapes")
    table = pd.read_csv(tmp_path / "results" / "tables" / "conv_shapes.csv")
    assert list(table["case"]) == [case.name for case in CASES]
    assert table["shapes_agree"].all()
    original = table.iloc[0]
    assert original["formula_shape"] == original["torch_shape"] == "2x4x360x480"
    assert original["gluon_weight_before_first_call"] == "4x0x3x3"
    assert original["gluon_weight_after_first_call"] == "4x3x3x3"
    assert "crop" in original["note"]
    differences = table.filter(like="max_abs_diff_")
    assert list(differences.columns) == [
        "max_abs_diff_gluon_vs_loop",
        "max_abs_diff_nd_vs_loop",
        "max_abs_diff_torch_vs_loop",
        "max_abs_diff_frameworks_full",
    ]
    assert differences.to_numpy().max() < 1e-4
    assert (tmp_path / "results" / "figures" / "conv_shapes_agreement.png").is_file()


def test_section_conv1x1(tmp_path):
    run_snakemake(tmp_path, "--cores", "2", "section_conv1x1")
    tables = tmp_path / "results" / "tables"
    timing = pd.read_csv(tables / "conv1x1_timing.csv")
    assert list(timing.columns) == TABLE_COLUMNS_1X1
    assert len(timing) == len(SHAPES_1X1) * 5
    ran = timing.dropna(subset=["median_seconds"])
    assert set(ran["implementation"]) == {"matmul_nhwc", "loops", "gluon", "nd", "torch"}
    assert ran["max_abs_diff"].max() < 1e-4 and (ran["median_seconds"] > 0).all()
    assert timing.loc[timing["median_seconds"].isna(), "note"].str.startswith("not run").all()
    im2col = pd.read_csv(tables / "im2col.csv")
    assert list(im2col.columns) == TABLE_COLUMNS_IM2COL
    assert len(im2col) == len(CASES) * 4
    assert im2col["max_abs_diff_vs_torch"].max() < 1e-4
    for figure in ("conv1x1_timing.png", "im2col_timing.png"):
        assert (tmp_path / "results" / "figures" / figure).is_file()


def test_a_users_folder_skips_non_images_with_a_warning(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    cv2.imwrite(str(photos / "noise.png"), rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    cv2.imwrite(
        str(photos / "disc.jpg"), cv2.circle(np.zeros((50, 50), np.uint8), (25, 25), 15, 255, -1)
    )
    (photos / "notes.txt").write_text("taken in 2024")
    config = {"edges": {"images": str(photos)}}
    result = run_snakemake(tmp_path / "work", "--cores", "2", "section_edges", config=config)
    assert "edges.images: skipping" in result.output and "notes.txt" in result.output
    table = pd.read_csv(tmp_path / "work" / "results" / "tables" / "edge_energy.csv")
    assert set(table["image"]) == {"noise", "disc"}
    log = (tmp_path / "work" / "results" / "logs" / "edges_summary.log").read_text()
    assert "notes.txt" in log


def test_a_corrupt_image_fails_its_job_naming_the_file(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    whole = cv2.imencode(".png", np.full((64, 64), 200, np.uint8))[1].tobytes()
    (photos / "broken.png").write_bytes(whole[:40])
    result = run_snakemake(
        tmp_path / "work",
        "--cores",
        "1",
        "section_edges",
        config={"edges": {"images": str(photos)}},
        check=False,
    )
    assert result.returncode != 0
    log = (tmp_path / "work" / "results" / "logs" / "edges" / "broken.log").read_text()
    assert "broken.png: looks like an image but cannot be decoded" in log
    # The console shows the message once, then Snakemake's rule and log path; the traceback is
    # only in the log.
    assert result.output.count("looks like an image but cannot be decoded") == 1, result.output
    assert "Traceback" not in result.output and "Traceback (most recent call" in log
    assert not (tmp_path / "work" / "results" / "figures" / "edges" / "broken.png").exists()


def test_the_log_of_a_failed_image_goes_once_the_folder_is_fixed(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    assert cv2.imwrite(str(photos / "good.png"), np.full((16, 16), 90, np.uint8))
    whole = cv2.imencode(".png", np.full((16, 16), 200, np.uint8))[1].tobytes()
    (photos / "broken.png").write_bytes(whole[:40])
    config = {"edges": {"images": str(photos)}}
    work = tmp_path / "work"
    failed = run_snakemake(work, "--cores", "1", "section_edges", config=config, check=False)
    assert failed.returncode != 0
    stale = work / "results" / "logs" / "edges" / "broken.log"
    assert "FAILED" in stale.read_text()

    (photos / "broken.png").unlink()
    run_snakemake(work, "--cores", "1", "section_edges", config=config)
    assert not stale.exists()
    assert (work / "results" / "logs" / "edges" / "good.log").is_file()
    summary = (work / "results" / "logs" / "edges_summary.log").read_text()
    assert f"removed {Path('results/logs/edges/broken.log')}" in summary


def test_tiny_images_get_the_same_edges_as_cv2(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shapes = {"dot": (1, 1), "row": (1, 5), "column": (5, 1)}
    rng = np.random.default_rng(3)
    for name, shape in shapes.items():
        assert cv2.imwrite(str(photos / f"{name}.png"), rng.integers(0, 256, shape, np.uint8))
    run_snakemake(
        tmp_path / "work",
        "--cores",
        "2",
        "section_edges",
        config={"edges": {"images": str(photos)}},
    )
    table = pd.read_csv(tmp_path / "work" / "results" / "tables" / "edge_energy.csv")
    sizes = table.groupby("image")[["height", "width"]].first()
    assert {name: tuple(sizes.loc[name]) for name in shapes} == shapes
    assert table["max_abs_diff_vs_cv2"].max() < 1e-9
    for name in shapes:
        assert (tmp_path / "work" / "results" / "figures" / "edges" / f"{name}.png").is_file()


def test_a_folder_and_max_side_given_on_the_command_line(tmp_path):
    # Snakemake hands the values inside a nested --config over as strings; max_side must still
    # be the number 16.
    photos = tmp_path / "photos"
    photos.mkdir()
    assert cv2.imwrite(str(photos / "wide.png"), np.full((20, 64), 128, np.uint8))
    run_snakemake(
        tmp_path / "work",
        "--cores",
        "1",
        "section_edges",
        "--config",
        f"edges={{images: {photos}, max_side: 16}}",
    )
    table = pd.read_csv(tmp_path / "work" / "results" / "tables" / "edge_energy.csv")
    assert set(table["image"]) == {"wide"}
    assert (table["height"].iloc[0], table["width"].iloc[0]) == (5, 16)


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_a_missing_or_empty_folder_fails_at_once_naming_the_key(tmp_path, folder):
    (tmp_path / "empty").mkdir()
    result = run_snakemake(
        tmp_path / "work",
        "-n",
        "section_edges",
        config={"edges": {"images": str(tmp_path / folder)}},
        check=False,
    )
    assert result.returncode != 0
    assert "Config error: edges.images:" in result.output
    assert_no_traceback(result.output)
    assert ("does not exist" if folder == "missing" else "holds no image file") in result.output


def test_odd_file_names_neither_break_loading_nor_go_unnamed(tmp_path, synthetic_sources):
    photos = tmp_path / "photos"
    photos.mkdir()
    assert cv2.imwrite(str(photos / "br{ace}.png"), np.full((16, 16), 90, np.uint8))
    assert cv2.imwrite(str(photos / "good.png"), np.full((16, 16), 160, np.uint8))
    with open(os.fsencode(photos) + b"/bad\xff.png", "wb") as stream:
        stream.write(cv2.imencode(".png", np.zeros((4, 4), np.uint8))[1].tobytes())
    config = {"edges": {"images": str(photos)}, "datasets": synthetic_sources}
    work = tmp_path / "work"
    # The default target's dry run loads the folder like any command does.
    dry = run_snakemake(work, "-n", "--cores", "1", config=config)
    assert_no_traceback(dry.output)
    result = run_snakemake(work, "--cores", "2", "section_edges", config=config)
    assert f"edges.images: {photos / 'br{ace}.png'} is named 'br(ace)' in the results" in (
        result.output
    )
    assert "edges.images: skipping" in result.output and "bad\\xff.png" in result.output
    table = pd.read_csv(work / "results" / "tables" / "edge_energy.csv")
    assert set(table["image"]) == {"br(ace)", "good"}
    assert (work / "results" / "figures" / "edges" / "br(ace).png").is_file()
    log = (work / "results" / "logs" / "edges" / "br(ace).log").read_text()
    assert f"from {photos / 'br{ace}.png'}" in log
    # Nothing changed: nothing runs again.
    again = run_snakemake(work, "-n", "--cores", "1", "section_edges", config=config)
    assert "Nothing to be done" in again.output


def test_a_transparent_image_is_seen_on_white(tmp_path):
    # Stored black throughout; only a square in the middle is opaque. On white, as a viewer
    # shows it, the square's outline has edges; with the alpha dropped it would be all black.
    photos = tmp_path / "photos"
    photos.mkdir()
    bgra = np.zeros((32, 32, 4), np.uint8)
    bgra[8:24, 8:24, 3] = 255
    assert cv2.imwrite(str(photos / "cutout.png"), bgra)
    work = tmp_path / "work"
    run_snakemake(work, "--cores", "1", "section_edges", config={"edges": {"images": str(photos)}})
    table = pd.read_csv(work / "results" / "tables" / "edge_energy.csv")
    assert set(table["image"]) == {"cutout"}
    assert (table["energy"] > 0).all()
    assert table["max_abs_diff_vs_cv2"].max() < 1e-9
