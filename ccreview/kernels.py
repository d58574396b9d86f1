"""The notebook kernels a run starts, kept on a short lead: their connection files (which
hold their keys) live in a private folder of the run, and an interrupted run stops them."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = ["private_runtime_dir", "stop_kernels"]


@contextmanager
def private_runtime_dir(folder: Path):
    """Kernel connection files (they hold the kernels' keys) go to ``folder`` inside the
    owner-only staging folder while the notebooks run, so a run killed outright leaves none
    in the user's Jupyter runtime folder: they go with its staging folder."""
    folder.mkdir(mode=0o700)
    before, temporary = os.environ.get("JUPYTER_RUNTIME_DIR"), tempfile.tempdir
    os.environ["JUPYTER_RUNTIME_DIR"] = str(folder)
    tempfile.tempdir = str(folder)  # jupyter_client writes them with tempfile.mkstemp
    try:
        yield
    finally:
        tempfile.tempdir = temporary
        if before is None:
            os.environ.pop("JUPYTER_RUNTIME_DIR", None)
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = before
        shutil.rmtree(folder, ignore_errors=True)


def stop_kernels() -> None:
    """Terminate this process's children (the notebook kernels) and remove their connection
    files, so an interrupted run leaves nothing running and nothing lying about (Linux)."""
    children: set[int] = set()
    for listing in Path("/proc/self/task").glob("*/children"):
        try:
            children.update(int(pid) for pid in listing.read_text().split())
        except OSError:
            continue
    for pid in children:
        try:
            words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            os.kill(pid, signal.SIGTERM)
        except OSError:
            continue
        for flag, value in zip(words, words[1:], strict=False):
            if flag == b"-f" and value.endswith(b".json"):
                Path(value.decode(errors="replace")).unlink(missing_ok=True)


#: the thread pools of the numerical libraries a kernel loads (OpenBLAS, OpenMP, MKL)
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def kernel_threads(kernels_at_once: int):
    """Share the cores between kernels that run at once: each one's BLAS threads are the
    cores divided by the kernels. OpenBLAS threads wait for work by spinning, so two kernels
    with two threads each on two cores spend much of their time spinning (on the large
    benchmark quarter the run took 59 s with them, 47 s without). A variable the user has set
    is left as it is; the runner's own environment is restored afterwards."""
    cores = os.cpu_count() or 1
    share = str(max(1, cores // max(kernels_at_once, 1)))
    changed = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES
               if kernels_at_once > 1 and name not in os.environ}
    os.environ.update({name: share for name in changed})
    try:
        yield
    finally:
        for name in changed:
            os.environ.pop(name, None)
