"""The rooms of hold_agent and the direction of their imports (hold_agent/__init__.py).

core <- telnyx <- runtime <- http, with config.py and errors.py beside them; core does no I/O
and knows no asyncio or HTTP; learning/ (offline) is never imported by the service."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hold_agent"
SIDE = {"hold_agent.config", "hold_agent.errors"}
ALLOWED = {
    "core": {"core"},
    "telnyx": {"core", "telnyx"},
    "runtime": {"core", "telnyx", "runtime"},
    "http": {"core", "telnyx", "runtime", "http"},
    "learning": {"core", "learning"},
}
# What the pure core may not touch: the network, the event loop, the web stack.
NOT_IN_CORE = {"asyncio", "socket", "httpx", "fastapi", "starlette", "uvicorn", "sqlalchemy", "subprocess", "threading"}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_imports_point_one_way() -> None:
    wrong = []
    for room, allowed in ALLOWED.items():
        for path in sorted((PACKAGE / room).rglob("*.py")):
            for name in imports(path):
                if not name.startswith("hold_agent.") or name in SIDE:
                    continue
                target = name.split(".")[1]
                if target not in allowed:
                    wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []


def test_the_core_does_no_io_and_knows_no_event_loop_or_http() -> None:
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / "core").rglob("*.py"))
        for name in imports(path)
        if name.split(".")[0] in NOT_IN_CORE
    ]
    assert wrong == []


def test_the_service_never_imports_the_offline_tools() -> None:
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for room in ("core", "telnyx", "runtime", "http")
        for path in sorted((PACKAGE / room).rglob("*.py"))
        for name in imports(path)
        if name.startswith("hold_agent.learning")
    ]
    assert wrong == []
