"""Publishing never damages or deletes: interrupted swaps are repaired, a folder the kit
did not create is never replaced, killed runs leave nothing readable behind (issue #13)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from ccreview.exceptions import PublishError
from ccreview.report.publish import (
    OWNER_FILE,
    check_replaceable,
    clean_stale_staging,
    move_into_place,
    recover_interrupted,
)

from .conftest import make_params


def fake_run(folder: Path, label: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"run": "q3", "notebooks": [], "label": label}))
    (folder / "index.html").write_text(label)
    return folder


def test_a_swap_interrupted_before_the_new_run_moved_in_is_undone(tmp_path):
    fake_run(tmp_path / ".q3.previous-1a2b3c4d", "earlier")
    done = recover_interrupted(tmp_path, "q3")
    assert (tmp_path / "q3" / "index.html").read_text() == "earlier"
    assert len(done) == 1 and "put back" in done[0]
    assert not list(tmp_path.glob(".q3.previous-*"))


def test_a_swap_interrupted_before_the_old_copy_was_deleted_is_completed(tmp_path):
    fake_run(tmp_path / "q3", "new")
    fake_run(tmp_path / ".q3.previous-1a2b3c4d", "earlier")
    done = recover_interrupted(tmp_path, "q3")
    assert (tmp_path / "q3" / "index.html").read_text() == "new"
    assert not list(tmp_path.glob(".q3.previous-*")) and "Removed" in done[0]
    assert recover_interrupted(tmp_path, "q3") == []


def test_a_folder_the_kit_did_not_create_is_never_replaced(tmp_path):
    notes = tmp_path / "q3"
    notes.mkdir()
    (notes / "notes.txt").write_text("my notes")
    staging = fake_run(tmp_path / ".q3.building-x", "new")
    with pytest.raises(PublishError, match="not a run this kit published"):
        move_into_place(staging, notes)
    assert (notes / "notes.txt").read_text() == "my notes"
    (tmp_path / ".q3.previous-zz").mkdir()  # not ours either: left alone
    (tmp_path / ".q3.previous-zz" / "keep.txt").write_text("x")
    assert recover_interrupted(tmp_path, "q3") == []
    assert (tmp_path / ".q3.previous-zz" / "keep.txt").exists()
    check_replaceable(tmp_path / "absent")  # nothing there: fine


def test_staging_of_a_killed_run_is_removed_but_a_live_one_is_kept(tmp_path):
    dead, live = tmp_path / ".q3.building-dead", tmp_path / ".q3.building-live"
    for folder, pid in ((dead, 2 ** 22 + 12345), (live, os.getpid())):
        folder.mkdir()
        (folder / OWNER_FILE).write_text(str(pid))
    done = clean_stale_staging(tmp_path, ".q3.building-")
    assert not dead.exists() and live.exists() and len(done) == 1


def sleepy_project(tmp_path, demo_dir) -> Path:
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('parameters_file = ""\nprepared_dir = None',
                                          metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import time\ntime.sleep(120)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, nb_dir / "sleepy.ipynb")
    return make_params(tmp_path, demo_dir, run="q3", notebooks="[sleepy]",
                       extra=f"notebooks_dir: {nb_dir}\n")


def start_and_wait_for_the_kernel(params: Path) -> tuple[subprocess.Popen, Path]:
    process = subprocess.Popen([sys.executable, "-m", "ccreview.cli", "run", str(params)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reports = params.parent.parent / "reports"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = list(reports.glob(".q3.building-*/notebooks/sleepy.ipynb"))
        if started:
            time.sleep(3)  # the kernel is running the sleeping cell
            return process, started[0].parent.parent
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the notebook never started")


def kernels_of(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text:
            found.append(int(status.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_sigterm_is_handled_like_ctrl_c_and_leaves_nothing_behind(tmp_path, demo_dir):
    params = sleepy_project(tmp_path, demo_dir)
    process, staging = start_and_wait_for_the_kernel(params)
    assert oct(staging.stat().st_mode & 0o777) == "0o700"  # the validated rows are private
    kernels = kernels_of(process.pid)
    assert kernels
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted; nothing was published" in err and "Traceback" not in err
    assert not staging.exists()
    time.sleep(1)
    assert not [k for k in kernels if Path(f"/proc/{k}").exists()]
    assert not (tmp_path / "reports" / "q3").exists()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_run_killed_outright_is_cleaned_up_by_the_next_check(tmp_path, demo_dir):
    params = sleepy_project(tmp_path, demo_dir)
    process, staging = start_and_wait_for_the_kernel(params)
    kernels = kernels_of(process.pid)
    connection = list((staging / ".runtime").glob("*.json"))
    assert connection  # the kernel's keys are inside the private staging folder
    process.kill()
    process.communicate(timeout=30)
    for pid in kernels:  # an orphaned kernel would sleep on; it is not the check's to kill
        os.kill(pid, signal.SIGKILL)
    assert staging.exists()
    result = subprocess.run([sys.executable, "-m", "ccreview.cli", "check", str(params)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "left behind by a run that was killed" in result.stdout
    assert not staging.exists() and not any(p.exists() for p in connection)
