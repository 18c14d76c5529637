"""The analyses' output folder: checked once, and a half-written run taken back."""

from __future__ import annotations

import errno

import pytest

from yangpu_gis.errors import ValidationError, YangpuGisError
from yangpu_gis.output import out_folder, writes_results


@writes_results("out")
def _write(out, n_files: int, fail: OSError | Exception | None = None):
    out_folder(out)
    (out / "sub").mkdir(exist_ok=True)
    for i in range(n_files):
        (out / "sub" / f"t{i}.csv").write_text("a,b\n1,2\n")
    if fail is not None:
        raise fail
    return sorted(p.name for p in (out / "sub").iterdir())


def test_a_run_that_succeeds_keeps_its_files(tmp_path):
    assert _write(tmp_path / "a" / "b", 3) == ["t0.csv", "t1.csv", "t2.csv"]


def test_a_full_disk_half_way_removes_this_runs_files_and_new_folders(tmp_path):
    target = tmp_path / "new" / "out"
    with pytest.raises(YangpuGisError, match="the disk is full") as info:
        _write(target, 2, OSError(errno.ENOSPC, "No space left on device"))
    assert info.value.source == str(target)
    assert list(tmp_path.iterdir()) == []  # "new" and "out" were made by the run: gone


def test_files_of_an_earlier_run_stay_and_other_errors_pass_through(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t0.csv").write_text("old")
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(RuntimeError, match="boom"):
        _write(tmp_path, 3, RuntimeError("boom"))
    # t0.csv existed before (rewritten by the run, not created); t1, t2 were new: removed
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["t0.csv"]
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_an_output_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "plain.txt").write_text("x")
    for bad in (tmp_path / "plain.txt", tmp_path / "plain.txt" / "deeper"):
        with pytest.raises(ValidationError, match="is a file"):
            out_folder(bad)
