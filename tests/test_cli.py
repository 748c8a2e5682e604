"""The command line, run as a user runs it (the ``cli`` fixture: offline, in a temporary
folder)."""


def test_demo_prints_the_lecture_results(cli):
    result = cli("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "    12 14\n    14 10" in out
    assert "1x1+2x0+3x2+4x0+3x2+2x0+0x1+1x1+2x(-1) = 12" in out
    assert "     3  9 10 11" in out
    assert "(90, 75)" in out
    assert "(N, FN, OH, OW) = (10, 30, 3, 3)" in out


def test_demo_in_japanese(cli):
    result = cli("demo", "--lang", "ja")
    assert result.returncode == 0, result.stderr
    assert "畳み込み演算" in result.stdout and "プーリング" in result.stdout


def test_help_and_version(cli):
    assert "demo" in cli("--help").stdout
    assert cli("--version").stdout.startswith("tatamikomi ")
    result = cli()
    assert result.returncode == 2 and "usage" in result.stdout


def test_a_command_group_is_one_module_with_add_parser(monkeypatch, capsys):
    """What `serve` and `export` do: a module with add_parser(commands), listed in GROUPS."""
    import types

    from tatamikomi import cli

    def hello(args):
        if args.name == "nobody":
            raise cli.CommandError("nobody is not a name; give yours")
        print(f"hello {args.name}")
        return 0

    def add_parser(commands):
        parser = commands.add_parser("hello", help="say hello")
        parser.add_argument("name")
        parser.set_defaults(handler=hello)

    group = types.SimpleNamespace(add_parser=add_parser)
    monkeypatch.setattr(cli, "GROUPS", (*cli.GROUPS, group))
    assert cli.main(["hello", "you"]) == 0 and capsys.readouterr().out == "hello you\n"
    assert cli.main(["hello", "nobody"]) == 1
    assert capsys.readouterr().err == "tatamikomi hello: nobody is not a name; give yours\n"
    assert all(hasattr(module, "add_parser") for module in cli.GROUPS)
