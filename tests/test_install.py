"""A user installs from a wheel, not from this checkout: build one, install it into a fresh virtual
environment, and run the tool from a folder far from the checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # No build warnings about the licence table or anything else setuptools deprecates.
    assert "SetuptoolsDeprecationWarning" not in out.stderr, out.stderr
    (found,) = dist.glob("cpa-*.whl")
    return found


@pytest.mark.slow
def test_wheel_carries_the_package_and_its_data_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("cpa/data/units.csv", "cpa/data/lad23.geojson", "cpa/data/reference_plans.csv",
                   "cpa/data/schemas/run.schema.json", "cpa/render/templates/map.css",
                   "cpa/static/leaflet/leaflet.js", "cpa/cli/__init__.py"):
        assert needed in names, needed
    top = {n.split("/")[0] for n in names}
    assert top == {"cpa", next(t for t in top if t.endswith(".dist-info"))}, top  # no generic top-level 'cli'
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "cpa = cpa.cli:main" in entry


@pytest.mark.slow
def test_wheel_installs_and_runs_anywhere(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    out = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    cpa = env_dir / "bin" / "cpa"
    far = tmp_path / "elsewhere"
    far.mkdir()
    card = subprocess.run([str(cpa), "evaluate", "crc21", "--format", "json"], capture_output=True, text=True, cwd=far)
    assert card.returncode == 0, card.stderr
    assert json.loads(card.stdout)["summary"]["areas"] == 21
    solved = subprocess.run([str(cpa), "solve", "--areas", "35", "--time-limit", "60", "--out", "k35", "--format",
                             "json"], capture_output=True, text=True, cwd=far)
    assert solved.returncode == 0, solved.stderr
    assert json.loads(solved.stdout)["run"]["status"] == "optimal"
    assert (far / "k35" / "plan.csv").exists()
    # The package is found through the installed copy, never this checkout.
    where = subprocess.run([str(py), "-c", "import cpa; print(cpa.__file__)"], capture_output=True, text=True, cwd=far)
    assert str(env_dir) in where.stdout and str(ROOT) not in where.stdout
