"""The contract with Dagster's private modules: what momentum_dag/runtime/dagster_private.py takes from them
still exists, with the parameters it is called with, in the pinned version. After a Dagster upgrade, this
file's failures name what broke (a module moved, a name gone, a parameter renamed or moved, an enum
member removed); and no other module, in the package or the tests, imports ``dagster._*``."""

import ast
import importlib
import inspect
import re
import tomllib
from pathlib import Path

from momentum_dag.runtime import dagster_private

REPO = Path(__file__).resolve().parents[1]
PRIVATE = REPO / "momentum_dag" / "runtime" / "dagster_private.py"


def _private_imports(path: Path) -> list[tuple[str, str]]:
    """``(module, name)`` of every ``from dagster._... import name`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dagster._"):
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.startswith("dagster._")]
    return found


def test_the_pinned_dagster_is_the_installed_one_and_the_one_pyproject_pins():
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [re.fullmatch(r"dagster==(\S+)", p).group(1) for p in pins if re.fullmatch(r"dagster==\S+", p)]
    assert dagster_private.PINNED_DAGSTER == pin, "pyproject pins another dagster than dagster_private checked"
    assert dagster_private.version_mismatch() is None, dagster_private.version_mismatch()


def test_every_private_name_still_exists_where_it_is_imported_from():
    imports = _private_imports(PRIVATE)
    assert len(imports) >= 20  # the parse found the imports
    broken = []
    for module, name in imports:
        try:
            loaded = importlib.import_module(module)
        except Exception as error:  # a module that is gone or fails on import: both are a broken contract
            broken.append(f"module {module} is gone ({error}), needed for {name}")
            continue
        if not hasattr(loaded, name):
            broken.append(f"{module} no longer has {name}")
    assert not broken, "dagster private API changed:\n" + "\n".join(broken)


def test_the_private_callables_take_the_parameters_they_are_called_with():
    broken = []
    for name, expected in dagster_private.POSITIONAL_PARAMETERS.items():
        found = tuple(inspect.signature(getattr(dagster_private, name)).parameters)[: len(expected)]
        if found != expected:
            broken.append(f"{name}: leading parameters {found}, called as {expected}")
    for name, expected in dagster_private.KEYWORD_PARAMETERS.items():
        found = set(inspect.signature(getattr(dagster_private, name)).parameters)
        missing = [p for p in expected if p not in found]
        if missing:
            broken.append(f"{name}: no parameter(s) {missing}")
    for name, members in dagster_private.MEMBERS.items():
        enum = getattr(dagster_private, name)
        missing = [m for m in members if not hasattr(enum, m)]
        if missing:
            broken.append(f"{name}: no member(s) {missing}")
    assert not broken, "dagster private API changed:\n" + "\n".join(broken)


def test_the_private_sources_still_say_what_the_batch_write_relies_on():
    broken = []
    for qualified, words in dagster_private.SOURCE_MENTIONS.items():
        owner, method = qualified.split(".")
        source = inspect.getsource(getattr(getattr(dagster_private, owner), method))
        broken += [f"{qualified} no longer mentions {word}" for word in words if word not in source]
    assert not broken, "dagster private API changed:\n" + "\n".join(broken)


def test_no_other_module_imports_dagster_private_names():
    """The package and the tests reach Dagster's private modules only through dagster_private."""
    offenders = []
    for root in ("momentum_dag", "tests", "benchmarks"):
        for path in sorted((REPO / root).rglob("*.py")):
            if path != PRIVATE and _private_imports(path):
                offenders.append(f"{path.relative_to(REPO)}: {_private_imports(path)}")
    assert not offenders, offenders


def test_the_sql_storage_module_the_forkserver_preloads_still_imports():
    importlib.import_module(dagster_private.SQL_STORAGE_MODULE)
