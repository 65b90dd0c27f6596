"""Examples in the README run as written (as datasette does for its docs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assetmap import settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("block", python_blocks(README))
def test_readme_python_examples_run(block, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() != ""


def test_readme_names_the_two_commands():
    assert "make demo" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_every_cli_command_is_documented():
    from assetmap.cli import main

    for name, command in main.commands.items():
        assert f"assetmap {name}" in README, name
        for sub in getattr(command, "commands", {}):
            assert f"assetmap {name} {sub}" in README, f"{name} {sub}"


def test_every_setting_is_documented():
    source = Path(settings.__file__).read_text()
    for name in set(re.findall(r"ASSETMAP_[A-Z_]+", source)):
        assert name in README, name
