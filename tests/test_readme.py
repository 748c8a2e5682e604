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


def test_readme_plot_commands_write_different_files():
    """Run one after another in one folder, no plot command would meet another's file (an
    existing file is kept unless --force): each block has its own output names."""
    import shlex

    from tatamikomi.cli.lecture import PLOT_OUTPUTS

    seen = {}
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            if not line.startswith("tatamikomi plot"):
                continue
            words = shlex.split(line, comments=True)
            kind = words[2]
            output = words[words.index("-o") + 1] if "-o" in words else PLOT_OUTPUTS[kind]
            assert output not in seen or "--force" in words, (
                f"{line!r} writes {output}, as {seen.get(output)!r} did before it"
            )
            seen[output] = line
    assert len(seen) >= 14
