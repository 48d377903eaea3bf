"""The test suite never writes into the user's folders, even with QUIZ_HOME exported."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_collecting_the_suite_leaves_an_exported_quiz_home_alone(tmp_path):
    home, workspace, banks = tmp_path / "my-home", tmp_path / "my-workspace", tmp_path / "my-banks"
    env = {**os.environ, "QUIZ_HOME": str(home), "QUIZ_WORKSPACE": str(workspace), "QUIZ_BANKS": str(banks)}
    env.pop("QUIZ_CONTENT", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                             "tests/test_content.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert not home.exists() and not workspace.exists() and not banks.exists()
