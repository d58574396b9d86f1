"""The project's own files: environment.yml matches pyproject.toml; notebooks are clean."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT


def test_environment_yml_is_equivalent_to_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    minimum = re.search(r">=\s*([\d.]+)", project["requires-python"]).group(1)
    assert python.split("=")[-1].startswith(minimum)
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    # either it delegates to the project itself, or it lists every dependency with its bound
    if "-e .[dev]" in pip_section:
        # delegating: nothing else may be pinned there, or it could drift from pyproject.toml
        assert pip_section == ["-e .[dev]"], pip_section
        others = [d for d in deps if isinstance(d, str) and not d.startswith(("python", "pip"))]
        assert others == [], f"environment.yml pins {others} besides the project"
        assert "dev" in project["optional-dependencies"]
        return
    listed = " ".join(pip_section + [d for d in deps if isinstance(d, str)])
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name = re.split(r"[<>=\[ ]", requirement)[0]
        assert name in listed, requirement


def test_notebooks_are_committed_without_outputs_and_without_logic():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text())
        tags = [set(cell.get("metadata", {}).get("tags", [])) for cell in nb["cells"]]
        assert any("parameters" in t for t in tags), f"{path.name} has no parameters cell"
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            assert not cell.get("outputs"), f"{path.name} has outputs"
            assert cell.get("execution_count") is None, path.name
            assert not re.search(r"^\s*(def|class|for|while)\s", source, re.M), source
            assert len(source.strip().splitlines()) <= 5, source


@pytest.mark.slow
def test_a_wheel_in_a_fresh_environment_runs_the_demo(tmp_path):
    """Notebooks, templates and the starter parameter files come from the installed package,
    not from a checkout: a wheel built from the project, installed into a new virtual
    environment (its dependencies lent from this one), runs ``ccreview demo`` in a folder
    that has nothing of the project."""
    source = tmp_path / "source"
    top_level = {".venv", ".git", "data", "reports", "build"}  # ccreview/data is the package's own

    def leave_out(folder: str, names: list[str]) -> set[str]:
        here = {n for n in names if n.endswith(".egg-info") or n == "__pycache__" or n.endswith("_cache")}
        return here | (top_level & set(names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, source, symlinks=True, ignore=leave_out)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(wheels), str(source)], check=True, timeout=300)
    wheel = next(wheels.glob("ccreview-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    lent = [p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir()]
    (site / "zz_lent_dependencies.pth").write_text("\n".join(map(str, lent)) + "\n")
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(site), str(wheel)], check=True, timeout=300)
    where = subprocess.run([str(python), "-c", "import ccreview; print(ccreview.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert where.startswith(str(site)), where  # the wheel's copy, not the checkout
    work = tmp_path / "elsewhere"
    # the lent dependencies' data files (nbconvert's base templates) stay in this prefix
    env = {**os.environ, "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}
    result = subprocess.run([str(python), "-m", "ccreview.cli", "demo", "--dir", str(work),
                             "--scale", "small"], capture_output=True, text=True, cwd=tmp_path,
                            timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    index = work / "reports" / "demo" / "index.html"
    assert result.stdout.strip().splitlines()[-1] == str(index)
    manifest = json.loads((work / "reports" / "demo" / "run.json").read_text())
    assert {n["name"] for n in manifest["notebooks"]} >= {"incident_review"}
    assert all(n["status"] == "ok" for n in manifest["notebooks"]), manifest["notebooks"]
    assert (work / "parameters" / "criteria.yaml").is_file()
