"""Notebook kernels: how a run shares the machine between them."""

from __future__ import annotations


def test_kernels_running_at_once_share_the_cores_and_the_environment_is_restored(monkeypatch):
    import os

    from ccreview.kernels import BLAS_THREAD_VARIABLES, kernel_threads

    for name in BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's own choice stays
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    with kernel_threads(2):
        assert os.environ["OPENBLAS_NUM_THREADS"] == "2" and os.environ["OMP_NUM_THREADS"] == "3"
    assert "OPENBLAS_NUM_THREADS" not in os.environ and os.environ["OMP_NUM_THREADS"] == "3"
    with kernel_threads(1):  # one kernel: the libraries' own defaults
        assert "OPENBLAS_NUM_THREADS" not in os.environ
