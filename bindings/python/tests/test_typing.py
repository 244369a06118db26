"""The types redwire declares: ordinary redis-py user code passes
``mypy --strict`` without casts, its replies ``bytes`` or ``str`` by
``decode_responses``; the typing stubs of the asyncio client and the
pipelines are what the command families say."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_command_stubs_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(HERE.parent / "tools" / "command_stubs.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _mypy(path: Path) -> "subprocess.CompletedProcess[str]":
    """``mypy --strict`` on ``path`` against the installed package."""
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        cwd=HERE,
    )


def test_ordinary_user_code_type_checks() -> None:
    done = _mypy(HERE / "typed_usage.py")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_type_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a decoding client's reply is no ``bytes``."""
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "import redwire\n"
        "client = redwire.Redis(decode_responses=True)\n"
        "value: bytes | None = client.get('k')\n"
    )
    done = _mypy(wrong)
    assert done.returncode == 1 and 'has type "str | None"' in done.stdout, done.stdout
