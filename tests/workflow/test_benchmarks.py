"""The throughput benchmark's own claim: the project's path trains exactly like the textbook."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_project_path_gives_the_textbook_loops_numbers(tmp_path):
    out = tmp_path / "throughput.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.throughput",
            "--cases",
            "torch-lenet,mxnet-lenet",
            "--repeats",
            "1",
            "--images",
            "1024",
            "--workers",
            "2",
            "--json",
            str(out),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=600,
    )
    for report in json.loads(out.read_text()):
        first = {path: runs[0] for path, runs in report["results"].items()}
        textbook, plain, project = (first[p] for p in ("a_textbook", "b_plain", "c_project"))
        # Same start, same order, same maths: equal up to float rounding.
        assert project["loss"] == pytest.approx(textbook["loss"], rel=1e-5), report["case"]
        assert project["loss"] == pytest.approx(plain["loss"], rel=1e-5), report["case"]
        assert project["accuracy"] == textbook["accuracy"] == plain["accuracy"], report["case"]
        for result in first.values():
            assert result["images_per_second"] > 0 and result["peak_memory_mb"] > 0
