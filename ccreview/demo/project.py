"""A demo project anywhere: the seeded demo data and the shipped parameter files in one folder.

``ccreview demo --dir DIR`` needs nothing but an installed ccreview (no checkout): it lays
out ``DIR/data/demo`` (the generated tables) and ``DIR/parameters`` (``demo.yaml`` and the
configuration it points at, copied from the package), ready for ``ccreview run``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from ccreview.demo.generator import generate

__all__ = ["STARTER_FILES", "copy_starter", "demo_project"]

#: the parameter and configuration files shipped in the package (``ccreview/starter``)
STARTER_FILES = ("demo.yaml", "criteria.yaml", "objectives.yaml", "services.yaml", "template.yaml",
                 "recommendations.csv")


def demo_project(
    folder: str | Path, *, seed: int = 7, scale: str = "small",
    progress: Callable[[str], None] = lambda line: None,
) -> Path:
    """Write the demo data and the shipped parameter files under ``folder``.

    Files already in ``folder/parameters`` are kept as they are (nothing is overwritten).

    Returns
    -------
    Path
        The demo parameter file, ``folder/parameters/demo.yaml``.
    """
    folder = Path(folder).resolve()
    generate(folder / "data" / "demo", seed=seed, scale=scale, progress=progress)
    parameters = folder / "parameters"
    parameters.mkdir(parents=True, exist_ok=True)
    for name in STARTER_FILES:
        copy_starter(name, parameters / name, progress=progress)
    return parameters / "demo.yaml"


def copy_starter(name: str, target: Path, *, progress: Callable[[str], None] = lambda line: None) -> bool:
    """Copy the shipped starter file ``name`` to ``target`` unless a file is already there
    (it is kept, and ``progress`` says so). Returns whether it was written."""
    if target.exists():
        progress(f"kept {target} as it was")
        return False
    with resources.as_file(resources.files("ccreview").joinpath("starter", name)) as source:
        shutil.copyfile(source, target)
    return True
