"""The code layout holds: one package per subsystem, imports pointing one way.

Each package's `__init__.py` docstring says on its second line which packages it may use
("May use: app.plan, app.history."); these tests hold every import in the app to those lines,
so the docstrings cannot drift from the code. The foundation modules at the top of `app/`
(settings, database, migrations) use no package; the entry points (CLI, ASGI app) are used
by none.
"""

import ast
import re
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
FOUNDATION = {"config", "db", "migrate"}
ENTRY_POINTS = {"cli", "main"}
MAX_TOP_MODULES = 8
MIN_PACKAGES = 5
MAX_LINES = 450


def packages() -> list[str]:
    return sorted(p.name for p in APP.iterdir() if (p / "__init__.py").is_file())


def may_use(package: str) -> set[str]:
    lines = (ast.get_docstring(ast.parse((APP / package / "__init__.py").read_text())) or "")
    lines = lines.splitlines()
    assert len(lines) == 2 and lines[1].startswith("May use:"), (
        f"app/{package}/__init__.py: the docstring is two lines, what the package holds and "
        f"'May use: app.x, app.y.' (or 'May use: no other package.')")
    return set(re.findall(r"app\.(\w+)", lines[1]))


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, first name under `app`) of every import of the app in a file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "app":
                continue
            if len(parts) > 1:
                found.append((node.lineno, parts[1]))
            else:
                found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[1]) for alias in node.names
                         if alias.name.startswith("app."))
    return found


def test_app_holds_few_modules_and_several_packages():
    modules = sorted(p.stem for p in APP.glob("*.py") if p.name != "__init__.py")
    assert len(modules) <= MAX_TOP_MODULES, modules
    assert set(modules) <= FOUNDATION | ENTRY_POINTS, set(modules) - FOUNDATION - ENTRY_POINTS
    assert len(packages()) >= MIN_PACKAGES, packages()


def test_declared_uses_name_real_packages_and_form_no_cycle():
    declared = {package: may_use(package) for package in packages()}
    for package, uses in declared.items():
        assert uses <= set(declared), f"app.{package} names unknown packages {uses - set(declared)}"
        assert package not in uses
    try:
        tuple(TopologicalSorter(declared).static_order())
    except CycleError as cycle:
        pytest.fail(f"the packages' declared uses form a cycle: {cycle.args[1]}")


@pytest.mark.parametrize("package", packages())
def test_every_import_of_a_package_is_one_it_may_use(package):
    allowed = may_use(package) | FOUNDATION | {package}
    wrong = [
        f"{path.relative_to(APP.parent)}:{line} imports app.{name}"
        for path in sorted((APP / package).rglob("*.py"))
        for line, name in imported(path)
        if name not in allowed
    ]
    assert not wrong, "\n".join(wrong)


def test_the_foundation_uses_no_package():
    wrong = [
        f"app/{module}.py:{line} imports app.{name}"
        for module in sorted(FOUNDATION)
        for line, name in imported(APP / f"{module}.py")
        if name not in FOUNDATION
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("entry_point", ["app.main", "app.cli"])
def test_an_entry_point_registers_the_session_listeners(entry_point):
    """`app.db` imports no package, so the entry points bring in the listeners that record
    every write in the history, bump the data version and index it for search; a fresh
    process shows they do."""
    check = (f"import sys, {entry_point}; "
             "print(all(m in sys.modules for m in ('app.history.record', 'app.caching.stamp', "
             "'app.search.index')))")
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                         cwd=APP.parent, check=True)
    assert out.stdout.strip() == "True"


def test_no_module_is_over_the_size_limit():
    long = {
        str(path.relative_to(APP.parent)): n
        for path in APP.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long


def test_the_check_sees_an_import_that_runs_back_up(tmp_path, monkeypatch):
    for package, uses in (("low", "no other package"), ("high", "app.low")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f'"""{package}.\nMay use: {uses}."""\n')
    (tmp_path / "low" / "rows.py").write_text(
        "def late():\n    from app.high.pages import render\n    return render\n")
    monkeypatch.setattr(f"{__name__}.APP", tmp_path)
    with pytest.raises(AssertionError, match=r"low/rows.py:2 imports app.high"):
        test_every_import_of_a_package_is_one_it_may_use("low")
    test_every_import_of_a_package_is_one_it_may_use("high")
