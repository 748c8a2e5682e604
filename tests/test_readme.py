"""The README's Python examples run as written."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has no Python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
    assert "ok" in capsys.readouterr().out


def test_readme_explain_commands_run(capsys):
    import shlex

    from tatamikomi import cli

    commands = [
        shlex.split(line, comments=True)
        for block in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
        for line in block.splitlines()
        if line.startswith("tatamikomi explain")
    ]
    assert len(commands) >= 8
    for command in commands:
        assert cli.main(command[1:]) == 0, command
        assert capsys.readouterr().out.strip()
