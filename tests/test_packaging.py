"""The project's own files: environment.yml matches pyproject.toml; notebooks are clean."""

from __future__ import annotations

import json
import re
import tomllib

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
