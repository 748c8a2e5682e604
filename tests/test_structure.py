"""The package's shape: imports point one way, down, with no cycle, and no module reads another's
private names. Read from the source with ``ast`` (nothing is imported), so a new upward import
or cycle fails here with the modules named."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tatamikomi"

# Units from the bottom up: a unit may import its own modules and units on lower levels only.
# cli/serve -> train -> models -> lecture -> layers -> functional, and io (the safe container)
# below the models, knowing none of them.
LEVELS = [
    {"i18n"},  # the words: every unit may say its messages through it
    {"_version", "_checks", "_files", "_progress", "_blas", "_argparse"},
    {"config"},
    {"_parallel"},
    {"functional", "init", "io", "data", "images"},
    {"layers", "optim", "gradcheck"},  # layers/: base below its families (see the test below)
    {"lecture"},
    {"models"},
    {"explain", "export"},
    {"viz", "train", "demo", "exercises", "lesson"},  # lesson: the worksheet, from explain
    {"serve", "book"},
    {"cli", "widgets"},  # widgets: the studio in a notebook, on serve's functions
    {"__init__", "__main__"},
]
LEVEL = {unit: level for level, units in enumerate(LEVELS) for unit in units}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield ".".join(parts), parts, path


def _imports(name, parts, path):
    """The package modules that module ``name`` imports (at any depth, lazy imports included),
    with the names it takes from each."""
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
            elif node.module and node.module.split(".")[0] == "tatamikomi":
                base = []
                node_module = node.module.split(".")[1:]
                target = ".".join(node_module)
                found.append((target, [a.name for a in node.names]))
                continue
            else:
                continue
            target = ".".join(base + (node.module.split(".") if node.module else []))
            if not node.module:  # from . import a, b: each is a module (or a name of the package)
                for alias in node.names:
                    found.append((".".join(base + [alias.name]), []))
            else:
                found.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tatamikomi":
                    found.append((".".join(alias.name.split(".")[1:]), []))
    return found


def _resolve(target, modules):
    """The module a target names: itself, its package's __init__, or (a name imported from a
    package) that package."""
    while target:
        if target in modules:
            return target
        if f"{target}.__init__" in modules:
            return f"{target}.__init__"
        target = target.rpartition(".")[0]
    return "__init__"


def _graph():
    modules = {name: (parts, path) for name, parts, path in _modules()}
    graph = {}
    for name, (parts, path) in modules.items():
        edges = {}
        for target, names in _imports(name, parts, path):
            resolved = _resolve(target, modules)
            if resolved != name:
                edges.setdefault(resolved, set()).update(names)
        graph[name] = edges
    return graph


def _unit(module):
    return module.split(".")[0]


def test_no_import_cycle():
    graph = _graph()
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in graph.get(node, ()):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_imports_point_down():
    graph = _graph()
    unknown = sorted({_unit(m) for m in graph} - set(LEVEL))
    assert not unknown, f"give these units a level in LEVELS: {unknown}"
    upward = [
        f"{source} imports {target}"
        for source, targets in graph.items()
        for target in targets
        if _unit(source) != _unit(target)
        and LEVEL[_unit(target)] >= LEVEL[_unit(source)]
        and _unit(source) not in ("__init__", "__main__")
    ]
    assert not upward, "imports against the direction: " + "; ".join(upward)


def test_no_module_reads_another_units_private_names():
    graph = _graph()
    private = [
        f"{source} takes {sorted(n for n in names if n.startswith('_'))} from {target}"
        for source, targets in graph.items()
        for target, names in targets.items()
        if _unit(source) != _unit(target)
        and not _unit(target).startswith("_")
        and any(n.startswith("_") and not n.startswith("__") for n in names)
    ]
    assert not private, "; ".join(private)


def test_layer_families_build_on_base_alone():
    """Inside layers/, each family (conv, dense, pooling, activations...) imports layers.base and
    no other family, so a family reads alone and a new one touches nothing beside it; base imports
    no family. Only the package's __init__ gathers them."""
    graph = _graph()
    assert "layers.base" in graph
    crossing = [
        f"{source} imports {target}"
        for source, targets in graph.items()
        if source.startswith("layers.") and source != "layers.__init__"
        for target in targets
        if target.startswith("layers.") and target != "layers.base"
    ]
    assert not crossing, "; ".join(crossing)


def test_io_knows_no_model():
    graph = _graph()
    assert not any(_unit(t) in ("models", "layers", "train") for t in graph["io"])


def test_the_checks_find_what_they_look_for(monkeypatch):
    """The checkers themselves: a made-up cycle and a made-up upward import are reported."""
    import sys

    module = sys.modules[__name__]
    monkeypatch.setattr(
        module, "_graph", lambda: {"io": {"models.book": set()}, "models.book": {"io": set()}}
    )
    with pytest.raises(AssertionError, match="io -> models.book -> io"):
        test_no_import_cycle()
    with pytest.raises(AssertionError, match="io imports models.book"):
        test_imports_point_down()
    monkeypatch.setattr(module, "_graph", lambda: {"cli.x": {"models.sequential": {"_locations"}}})
    with pytest.raises(AssertionError, match="_locations"):
        test_no_module_reads_another_units_private_names()
