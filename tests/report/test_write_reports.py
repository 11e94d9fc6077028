"""write_reports: five files, each replaced atomically, nothing left behind."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest

from harness.errors import HarnessError
from harness.report import write_reports

NAMES = {"index.html", "summary.md", "comment.md", "junit.xml", "verdicts.json"}


def test_writes_every_file_and_no_temp_files(judged, passing, tmp_path):
    out = tmp_path / "reports" / "nested"
    paths = write_reports(*judged, out)
    assert {p.name for p in paths.values()} == NAMES and set(paths) == {"html", "markdown", "comment", "junit", "json"}
    assert set(os.listdir(out)) == NAMES
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in paths.values())  # readable, unlike mkstemp's 0600
    assert json.loads(paths["json"].read_text())["passed"] is False
    ET.parse(paths["junit"])
    assert paths["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # A second run replaces the files in place.
    write_reports(*passing, out)
    assert set(os.listdir(out)) == NAMES
    assert json.loads(paths["json"].read_text())["passed"] is True


def test_failed_replace_keeps_the_old_file_and_removes_the_temp(judged, ungated, tmp_path, monkeypatch):
    run, verdicts, stored = judged
    write_reports(run, verdicts, stored, tmp_path)
    before = (tmp_path / "index.html").read_text(encoding="utf-8")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(HarnessError, match="cannot write the reports"):
        write_reports(run, ungated(verdicts), stored, tmp_path)
    assert set(os.listdir(tmp_path)) == NAMES
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == before


def test_unwritable_destination_is_a_harness_error(judged, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(HarnessError) as err:
        write_reports(*judged, blocker / "reports")
    assert str(blocker) in str(err.value) and err.value.hint


def test_a_second_writer_waits_for_the_folders_lock_and_writes_its_whole_set(judged, passing, tmp_path):
    """Two gates sharing --out queue on the folder's lock: the folder holds one run's files, never a mix."""
    import fcntl
    import threading

    out = tmp_path / "reports"
    write_reports(*judged, out)
    before = {name: (out / name).read_text(encoding="utf-8") for name in NAMES}
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another gate, mid-way through writing its set
        second = threading.Thread(target=write_reports, args=(*passing, out))
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waiting, whatever the machine's speed: it cannot pass the lock
        assert {name: (out / name).read_text(encoding="utf-8") for name in NAMES} == before
    finally:
        os.close(fd)  # releases the lock
    second.join(600)
    assert not second.is_alive() and set(os.listdir(out)) == NAMES
    assert json.loads((out / "verdicts.json").read_text())["passed"] is True
    assert all((out / name).read_text(encoding="utf-8") != before[name] for name in ("verdicts.json", "junit.xml"))


def test_a_file_system_without_locks_still_gets_its_reports(judged, tmp_path, monkeypatch):
    import errno
    import fcntl

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    paths = write_reports(*judged, tmp_path / "nfs")
    assert set(os.listdir(tmp_path / "nfs")) == NAMES and json.loads(paths["json"].read_text())["passed"] is False
