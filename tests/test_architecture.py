"""The rules of ARCHITECTURE.md, checked on the code: who may import whom, no import
circles, small modules. Every import counts, including those inside functions."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
FOLDERS = SETUPTOOLS["package-dir"]  # import name -> the repository's folder (one import name: tillroll)
ADAPTERS = ("tillroll.proxy", "tillroll.replay", "tillroll.send", "tillroll.analysis")


def module_name(path: Path) -> str:
    """The import name of a file of the repository, through the package-dir map."""
    folder, rest = path.relative_to(ROOT).parts[0], list(path.relative_to(ROOT).with_suffix("").parts[1:])
    [package] = [name for name, mapped in FOLDERS.items() if mapped == folder]
    parts = package.split(".") + rest
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Python modules, and compiled ones by their Cython source (they import nothing of ours)."""
    return {module_name(p): p for folder in sorted(set(FOLDERS.values())) for pattern in ("*.py", "*.pyx")
            for p in (ROOT / folder).rglob(pattern)}


MODULES = modules()


def imports(name: str, path: Path) -> set[str]:
    """The project modules *name* imports (a package counts as its ``__init__``)."""
    if path.suffix == ".pyx":
        return set()
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # import a.b.c of a module a.b: a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: imports(name, path) for name, path in MODULES.items()}


def cycles() -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in sorted(GRAPH):
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_one_import_name_every_package_installed_and_every_folder_mapped():
    """The wheel installs `tillroll` and nothing beside it; every package folder is listed."""
    assert {name.split(".")[0] for name in SETUPTOOLS["packages"]} == {"tillroll"}
    listed = set(SETUPTOOLS["packages"])
    on_disk = {name for name, path in MODULES.items() if path.name == "__init__.py"}
    assert on_disk == listed, "a package folder must be named in pyproject's [tool.setuptools] packages"


def test_no_module_imports_the_folders_by_their_repository_names():
    """`import replay` works inside the checkout only by accident of the working directory."""
    wrong = []
    for name, path in MODULES.items():
        if path.suffix == ".pyx":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            wrong += [f"{name} imports {m}" for m in mods if m.split(".")[0] in {"proxy", "replay", "send", "analysis"}]
    assert wrong == []


def test_the_checker_sees_the_imports_it_must():
    assert "tillroll.store.exchange" in GRAPH["tillroll.capture.pipeline"]
    assert "tillroll.capture" in GRAPH["tillroll.replay.replayer"]
    assert "tillroll.store.remote" in GRAPH["tillroll.store.locations"]  # an import inside a function counts


def test_no_import_circle_anywhere():
    assert cycles() == []


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_adapter_never_imports_another(adapter):
    wrong = {f"{m} -> {t}" for m, targets in GRAPH.items() if in_package(m, adapter)
             for t in targets if any(in_package(t, other) for other in ADAPTERS if other != adapter)}
    assert wrong == set()


def test_the_core_never_imports_an_adapter():
    core = [m for m in GRAPH if not any(in_package(m, a) for a in ADAPTERS)]
    wrong = {f"{m} -> {t}" for m in core for t in GRAPH[m] if any(in_package(t, a) for a in ADAPTERS)}
    assert wrong == set()


def test_the_store_never_imports_the_capture_pipeline():
    wrong = {f"{m} -> {t}" for m, targets in GRAPH.items() if in_package(m, "tillroll.store")
             for t in targets if in_package(t, "tillroll.capture")}
    assert wrong == set()


def test_the_capture_pipeline_takes_only_the_record_type_from_the_store():
    wrong = {f"{m} -> {t}" for m, targets in GRAPH.items() if in_package(m, "tillroll.capture")
             for t in targets if in_package(t, "tillroll.store") and t != "tillroll.store.exchange"}
    assert wrong == set()


def test_the_core_packages_import_no_network_framework():
    """capture and store are pure of HTTP servers and proxies: mitmproxy only where a
    mitmproxy flow becomes a raw exchange (capture.flows)."""
    wrong = []
    for name, path in MODULES.items():
        if path.suffix == ".pyx" or not (in_package(name, "tillroll.capture") or in_package(name, "tillroll.store")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for mod in mods:
                top = mod.split(".")[0]
                if top in ("aiohttp", "click") or (top == "mitmproxy" and name != "tillroll.capture.flows"):
                    wrong.append(f"{name} imports {mod}")
    assert wrong == []


def test_the_top_of_tillroll_holds_at_most_ten_modules():
    top = sorted(p.name for p in (ROOT / "tillroll").glob("*.py"))
    assert len(top) <= 10, top


def test_no_module_is_over_500_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > 500}
    assert long == {}


def test_architecture_md_names_every_package():
    """By its folder in the repository, where a reader looks for it."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    folders = {path.parent.relative_to(ROOT).as_posix() for path in MODULES.values() if path.name == "__init__.py"}
    assert {f for f in folders if f"`{f}/`" not in text} == set()
