"""pip-audit over the pinned requirements (the service's and the tools'): fail on any known
vulnerability, say loudly what could not be checked.

    .venv/bin/python scripts/audit_dependencies.py [--strict]

pip-audit reads advisories from PyPI's per-release data (or OSV). Where neither is reachable
(the CI network reaches only the package registries' install paths), every package comes back
"could not be audited": that is reported as NOT AUDITED on stderr, and is a failure only with
`--strict`, so such a run is never mistaken for a clean audit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(strict: bool) -> int:
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        *("-r", str(ROOT / "requirements-dev.txt")),  # which names requirements.txt
        *("--vulnerability-service", "pypi", "--format", "json", "--progress-spinner", "off"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed (exit {done.returncode}): {done.stderr.strip()}", file=sys.stderr)
        return 1
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    audited = len(dependencies) - len(skipped)
    print(f"pip-audit: {audited} of {len(dependencies)} audited, {len(vulnerable)} vulnerable")
    if skipped:
        print(
            f"NOT AUDITED: {len(skipped)} packages, the advisory data could not be reached "
            f"(e.g. {skipped[0]['name']}: {skipped[0]['skip_reason']})",
            file=sys.stderr,
        )
    if vulnerable or (strict and skipped):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main("--strict" in sys.argv[1:]))
