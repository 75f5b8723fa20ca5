"""Apps are rooms and layers run one way (STYLE): a lower app never imports a higher one."""

import ast
from pathlib import Path

import pingan

ROOT = Path(pingan.__file__).parent
# What each app may import of Pingan, besides itself. The project modules (settings, urls, navigation)
# sit above every app; api, portal, open311, demo and ops (backup, restore) on top of the case core.
ALLOWED = {
    "core": set(),
    "regions": {"core"},
    "audit": {"core"},
    "accounts": {"core", "regions", "audit"},
    "cases": {"core", "regions", "audit", "accounts"},
    "notices": {"core", "regions", "audit", "accounts", "cases"},
    "exports": {"core", "regions", "audit", "accounts", "cases"},
    "statistics": {"core", "regions", "audit", "accounts"},
    "analytics": {"core", "regions", "audit", "accounts", "cases"},
    "assessment": {"core", "regions", "audit", "accounts", "cases", "analytics", "statistics", "screening"},
    "supervision": {"core", "regions", "audit", "accounts", "cases"},
    "documents": {"core", "regions", "audit", "accounts", "cases", "supervision"},
    "reports": {
        "core",
        "regions",
        "audit",
        "accounts",
        "cases",
        "statistics",
        "analytics",
        "assessment",
        "supervision",
        "accountability",
        "campaigns",
        "surges",
    },
    "accountability": {"core", "regions", "audit", "accounts", "cases"},
    "screening": {"core", "regions", "audit", "accounts", "cases"},
    "focusareas": {"core", "regions", "audit", "accounts", "cases", "analytics", "statistics"},
    "surges": {"core", "regions", "audit", "accounts", "cases", "analytics", "notices"},
    "inspections": {"core", "regions", "audit", "accounts", "cases", "documents"},
    "creation": {"core", "regions", "audit", "accounts", "cases", "notices", "statistics", "accountability"},
    "campaigns": {
        "core",
        "regions",
        "audit",
        "accounts",
        "cases",
        "analytics",
        "assessment",
        "statistics",
        "inspections",
    },
    "cockpit": {"core", "regions", "audit", "accounts", "cases", "assessment", "supervision", "campaigns"},
    "suggest": {"core", "regions", "audit", "accounts", "cases"},
    "api": {
        "core",
        "regions",
        "audit",
        "accounts",
        "cases",
        "notices",
        "portal",
        "statistics",
        "analytics",
        "assessment",
        "reports",
        "supervision",
        "accountability",
        "screening",
        "focusareas",
        "surges",
        "inspections",
        "creation",
        "campaigns",
        "suggest",
    },
    "portal": {"core", "regions", "audit", "accounts", "cases"},
    "open311": {"core", "regions", "audit", "accounts", "cases", "portal"},
    "demo": {
        "core",
        "regions",
        "audit",
        "accounts",
        "cases",
        "portal",
        "statistics",
        "assessment",
        "reports",
        "supervision",
        "accountability",
        "screening",
        "focusareas",
        "surges",
        "inspections",
        "creation",
        "campaigns",
        "suggest",
        "wsgi",
    },
    "ops": {"core", "regions", "audit", "accounts", "cases", "notices"},
}


def _pingan_imports(path: Path) -> set[str]:
    """The Pingan apps a module imports, absolute or relative."""
    package = path.relative_to(ROOT).parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's own package
                base = list(package[: len(package) - node.level])
                names = [".".join(["pingan", *base, node.module or ""])]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "pingan" and len(parts) > 1 and parts[1]:
                found.add(parts[1])
    return found


def test_every_app_imports_only_the_layers_below_it():
    wrong = []
    for app, allowed in ALLOWED.items():
        for path in (ROOT / app).rglob("*.py"):
            for other in _pingan_imports(path) - allowed - {app}:
                wrong.append(f"{path.relative_to(ROOT.parent)} imports pingan.{other}")
    assert wrong == []


def test_the_layer_check_sees_relative_imports():
    assert _pingan_imports(ROOT / "cases" / "views" / "home.py") >= {"cases", "accounts"}
    apps = {p.name for p in ROOT.iterdir() if (p / "apps.py").exists() or (p / "urls.py").exists()}
    assert set(ALLOWED) == apps, "a new app needs its place in ALLOWED"


def test_every_transition_has_its_action_and_form_once_the_apps_are_loaded():
    """Apps above cases register their rows' functions (supervision: 督办) from AppConfig.ready()."""
    from pingan.cases.actions import ACTIONS
    from pingan.cases.views.forms import ACTION_FIELDS
    from pingan.cases.workflow import TRANSITIONS

    assert set(ACTIONS) == set(TRANSITIONS) == set(ACTION_FIELDS)
    assert {"supervise", "lift_supervision", "report_progress"} <= set(ACTIONS)
