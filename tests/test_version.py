"""One version, named alike by the package, pyproject.toml, the changelog, CLI and footer."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from collateral import __version__

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_and_the_package_name_the_same_version():
    with open(ROOT / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    assert project["version"] == __version__
    assert project["license"] == "Apache-2.0"


def test_the_changelog_names_the_version_as_its_latest_release():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", changelog, re.M)
    assert headings[0] == ("Unreleased", "")
    assert headings[1][0] == __version__ and headings[1][1], "a release heading has a date"


def test_the_version_command_prints_it(runner):
    result = runner.invoke(args=["version"])
    assert (result.exit_code, result.output) == (0, f"collateral {__version__}\n")


def test_flask_version_works_as_the_readme_runs_it(tmp_path):
    """`flask --app wsgi version` through the real entry point, with its files kept in tmp_path."""
    env = {
        **os.environ,
        "COLLATERAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "COLLATERAL_DATABASE_URL": f"sqlite:///{tmp_path / 'collateral.db'}",
        "COLLATERAL_UPLOAD_ROOT": str(tmp_path / "uploads"),
        "COLLATERAL_INDEX_ROOT": str(tmp_path / "index"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"collateral {__version__}\n"), done.stderr


def test_admins_see_the_version_in_the_footer_and_others_do_not(client, browser):
    footer = f'<footer class="site-footer">collateral {__version__}</footer>'
    for role, shown in (("admin", True), ("rep", False), ("marketer", False), ("manager", False)):
        browser.login(role)
        page = client.get("/").get_data(as_text=True)
        assert (footer in page) is shown, role
        browser.post("/logout")
