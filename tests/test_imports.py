"""No module of ``forecast/`` imports a module that imports it back (directly or round a loop).

Every ``import`` counts, module-level or inside a function, except those under
``if TYPE_CHECKING:`` (annotations only, never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "forecast"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def import_graph() -> dict[str, set[str]]:
    """Module -> the ``forecast`` modules it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skip = _type_checking_nodes(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "forecast.models.registry" in graph["forecast.models.base"]  # inside Forecaster.load
    assert "forecast.models.statistical.arima_fits" in graph["forecast.models.statistical.arima"]


def test_no_import_cycles_in_forecast():
    assert _cycles(import_graph()) == []


#: The layers of ``forecast/``, lowest first: a module may import its own layer and those below,
#: never one above (docs/development.md draws them). A top-level package not named here fails
#: the test until it is given a layer.
LAYERS: list[set[str]] = [
    {"forecast", "forecast.errors", "forecast.jsonable", "forecast.safe_csv"},  # foundation
    {"forecast.calendar"},  # frequencies, seasonal periods, seasonal adjustment
    {"forecast.ingest"},  # CSV -> long frame + report
    {"forecast.diagnostics"},  # statistics of one series
    {"forecast.evaluation"},  # metrics, residual checks, interval calibration
    {"forecast.models"},  # estimators (statistical/, neural/), registry, model files
    {"forecast.run"},  # backtest, steps, pipeline, fan-out, combination, recommendation, auto
    {"forecast.jobs", "forecast.plots", "forecast.pretrain"},  # persistence, figures, pretraining
    {"forecast.cli", "forecast.__main__"},  # front end (dashboard/ sits above, outside)
]


def _layer_of(module: str) -> int:
    parts = module.split(".")
    for key in (".".join(parts[:2]), parts[0]):
        for k, layer in enumerate(LAYERS):
            if key in layer:
                return k
    raise AssertionError(f"{module} belongs to no layer: add its package to LAYERS")


def registry_edges() -> set[str]:
    """The modules the model registry imports by string (``"module:Class"``)."""
    from forecast.models.registry import MODELS

    return {target.split(":")[0] for target in MODELS.values()}


def test_every_import_points_down_the_layers():
    graph = import_graph()
    against = [
        f"{a} (layer {_layer_of(a)}) imports {b} (layer {_layer_of(b)})"
        for a, targets in sorted(graph.items())
        for b in sorted(targets)
        if _layer_of(b) > _layer_of(a)
    ]
    assert against == []


def test_the_registry_names_only_models_and_runs():
    """The registry's string imports are followed too: each names a model (models layer) or a
    run behind the estimator contract (``auto``); no module of the models layer reaches the run
    layer through them, since only the run layer and the front ends resolve a run's name."""
    graph = import_graph()
    for target in registry_edges():
        assert target in graph, target
        assert _layer_of(target) in (_layer_of("forecast.models"), _layer_of("forecast.run"))
    run_entries = {t for t in registry_edges() if _layer_of(t) == _layer_of("forecast.run")}
    assert run_entries == {"forecast.run.auto"}


def test_forecast_never_imports_dashboard_or_dash():
    """Only the CLI, a front end itself, may start the dashboard (``forecast dashboard``/``serve``)."""
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "cli":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            bad = [n for n in names if n.split(".")[0] in {"dashboard", "dash"}]
            assert not bad, f"{path} imports {bad}"


def test_a_wrong_arrow_is_caught():
    """The layer check itself can fail: an import from evaluation up into run is against it."""
    assert _layer_of("forecast.run.steps") > _layer_of("forecast.evaluation.metrics")
    assert _layer_of("forecast.models.statistical.arima") == _layer_of("forecast.models.registry")
