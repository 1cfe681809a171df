"""`sikd plugin new` makes a distribution that installs with pip, loads, migrates, and whose
own tests pass."""

import os
import subprocess
import sys

from sikd_host.cli import main
from sikd_host.scaffold import ScaffoldError, scaffold


def run(args, env, cwd=None):
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_scaffolded_plugin_installs_loads_and_passes_its_tests(runner, tmp_path):
    created = runner.invoke(main, ["plugin", "new", "kegiatan", "--path", str(tmp_path)])
    assert created.exit_code == 0, created.output
    source = tmp_path / "sikd-kegiatan"
    assert (source / "sikd_kegiatan" / "migrations" / "versions" / "0001_initial.py").exists()
    site = tmp_path / "site"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(source),
        ],
        dict(os.environ),
    )
    env = {**os.environ, "PYTHONPATH": str(site), "SIKD_INSTANCE_PATH": str(tmp_path / "inst")}
    run([sys.executable, "-m", "sikd_host.cli", "init"], env)
    listing = run([sys.executable, "-m", "sikd_host.cli", "plugins", "list"], env)
    line = next(line for line in listing.splitlines() if line.startswith("kegiatan"))
    assert "enabled" in line and "active" in line and "kegiatan_0001 (head kegiatan_0001)" in line
    assert "sikd_blueprints" in listing
    output = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(source / "tests")],
        env,
        cwd=tmp_path,
    )
    assert "3 passed" in output


def test_bad_names_are_refused(tmp_path, runner):
    for name in ("Bad", "1x", "admin", "a-b"):
        result = runner.invoke(main, ["plugin", "new", name, "--path", str(tmp_path)])
        assert result.exit_code == 1 and "invalid plugin name" in result.output
    scaffold("dupe", tmp_path)
    try:
        scaffold("dupe", tmp_path)
    except ScaffoldError as error:
        assert "already exists" in str(error)
    else:
        raise AssertionError("a second scaffold over the first must be refused")
