"""Rule logs: progress lines on the console and in the log; a failure as one line, not a
traceback, on the console."""

import pytest

from convstudy.data import DataError
from convstudy.logs import remove_stale_logs, rule_log


def test_a_clear_error_is_one_line_on_the_console_and_a_traceback_in_the_log(tmp_path, capsys):
    log_file = tmp_path / "logs" / "job.log"
    with pytest.raises(SystemExit) as exit_:
        with rule_log(log_file) as log:
            log("reading")
            raise DataError("/data/x.gz: empty file (0 bytes); delete it and fetch it again")
    assert exit_.value.code == 1
    console = capsys.readouterr().err
    assert "FAILED: /data/x.gz: empty file (0 bytes)" in console
    assert "Traceback" not in console and "DataError" not in console
    text = log_file.read_text()
    assert "reading" in text and "FAILED: /data/x.gz: empty file" in text
    assert "Traceback (most recent call last)" in text and "DataError" in text


def test_an_unexpected_error_is_named_with_its_type_and_the_input(tmp_path, capsys):
    log_file = tmp_path / "job.log"
    with pytest.raises(SystemExit):
        with rule_log(log_file, about="photos/dot.png"):
            raise ValueError("a (3, 3) kernel is too large")
    console = capsys.readouterr().err
    assert "FAILED: photos/dot.png: ValueError: a (3, 3) kernel is too large" in console
    assert "Traceback" not in console
    assert "Traceback (most recent call last)" in log_file.read_text()


def test_a_log_can_start_with_earlier_lines(tmp_path, capsys):
    log_file = tmp_path / "job.log"
    with rule_log(log_file, earlier="[10:00:00] epoch 1/3\n") as log:
        log("epoch 2/3")
    lines = log_file.read_text().splitlines()
    assert lines[0] == "[10:00:00] epoch 1/3" and lines[1].endswith("] epoch 2/3")
    assert "epoch 1/3" not in capsys.readouterr().err  # shown when it was logged


def test_stale_logs_are_removed_and_current_ones_kept(tmp_path):
    for name in ("kept", "gone"):
        (tmp_path / f"{name}.log").write_text("FAILED: ...")
    removed = remove_stale_logs(tmp_path, ["kept", "never_ran"], log=lambda _: None)
    assert removed == [tmp_path / "gone.log"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.log"]
