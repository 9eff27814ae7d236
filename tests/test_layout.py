"""The architecture, enforced: which part of the app may import which, and where commits happen.

The README's "Design" section explains the layers; this file is the rule. Adding an import that
breaks it fails here with the file, the line and the module it names.
"""

import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "resources", "schemas", "web")
SPINE = ("config", "models", "database", "errors")
NOT_THE_APP = ("tests", "migrations", "bench", "examples", ".venv")

# What each part of the app may import from the app itself (its own package included, except
# resources: nothing imports a resource module but app.py, which registers their blueprints).
ALLOWED = {
    "config": set(),
    "models": set(),
    "errors": set(),
    "database": {"models"},
    "domain": {"models", "database", "errors", "domain"},
    "schemas": {"models", "schemas"},
    "web": {"config", "models", "database", "errors", "domain", "web"},
    "resources": {"config", "models", "database", "errors", "domain", "schemas", "web"},
    "commands": {"config", "models", "database", "errors", "domain", "schemas"},
    "app": {*SPINE, *PACKAGES, "commands"},
    "wsgi": {"app", "config"},
}
# The one early commit (resources/auth.py explains why); every other function commits at most once,
# and only views and commands commit at all.
EARLY_COMMIT = "count_password_attempt"
COMMITS = {"commit", "rollback", "commit_keeping_loaded_objects"}
# flask-smorest's @blp.get/post/... and click's @click.command mark views and commands.
ENTRY_DECORATORS = {"get", "post", "put", "patch", "delete", "route", "command"}


def app_modules():
    """Every Python module of the app, as (part, path): the part is its package or root module name."""
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in NOT_THE_APP or "." in path.stem:
            continue
        yield (relative.parts[0] if len(relative.parts) > 1 else path.stem), path


def imported_parts(tree):
    """(line, part of the app, module) for every import of an app module in ``tree``."""
    parts = set(ALLOWED)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in parts:
                yield node.lineno, top, name


def violations(part, path, source):
    """The imports of ``source`` (the module at ``path``, of ``part``) that the dependency rule forbids."""
    return [
        f"{path.relative_to(ROOT)}:{line}: {part} may not import {name} (it may: {sorted(ALLOWED[part])})"
        for line, imported, name in imported_parts(ast.parse(source))
        if imported not in ALLOWED[part]
    ]


def test_every_module_imports_only_what_its_layer_may():
    found = [problem for part, path in app_modules() for problem in violations(part, path, path.read_text())]

    assert found == [], "imports that break the dependency rule:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("part", "module", "planted"),
    [
        ("domain", "domain/ledger.py", "from resources import pto"),
        ("domain", "domain/ledger.py", "from web.pagination import paginate"),
        ("resources", "resources/pto.py", "from resources.employees import blp"),
        ("schemas", "schemas/pto.py", "import domain.workflow"),
        ("commands", "commands.py", "from resources import users"),
    ],
)
def test_a_planted_bad_import_fails_with_a_message_naming_it(part, module, planted):
    path = ROOT / module

    found = violations(part, path, path.read_text() + f"\n{planted}\n")

    assert len(found) == 1
    assert found[0].startswith(f"{module}:"), found
    assert planted.split()[1] in found[0], found


def test_every_module_of_the_app_belongs_to_a_layer():
    assert {part for part, _path in app_modules()} == set(ALLOWED)


def test_no_module_shadows_the_standard_library_or_a_dependency():
    installed = set(importlib.metadata.packages_distributions())
    names = {part for part, _path in app_modules()}

    shadowing = sorted(names & (set(sys.stdlib_module_names) | installed))

    assert shadowing == [], f"move these into a package: {shadowing}"


def commits_by_function(path):
    """(function name, is a view or command, number of commit/rollback calls) per function of ``path``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            calls = [
                call
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
                and getattr(call.func, "attr", getattr(call.func, "id", None)) in COMMITS
            ]
            entry_point = any(
                isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") in ENTRY_DECORATORS
                for decorator in node.decorator_list
            )
            yield node.name, entry_point, len(calls)


def test_rules_never_commit_or_roll_back():
    found = [
        f"{path.relative_to(ROOT)}: {name}() calls commit or rollback {count} time(s)"
        for path in sorted((ROOT / "domain").glob("*.py"))
        for name, _entry_point, count in commits_by_function(path)
        if count
    ]

    assert found == [], "rules add to the session; the view or command commits:\n" + "\n".join(found)


def test_views_and_commands_commit_once_and_only_they_commit():
    paths = [*sorted((ROOT / "resources").glob("*.py")), ROOT / "commands.py"]
    functions = [(path, *function) for path in paths for function in commits_by_function(path)]

    too_many = [f"{path.name}: {name}" for path, name, _entry, count in functions if count > 1]
    helpers = {name for _path, name, entry_point, count in functions if count and not entry_point}

    assert too_many == [], f"functions that commit more than once: {too_many}"
    assert helpers == {EARLY_COMMIT}, f"only views, commands and {EARLY_COMMIT} commit: {helpers}"
