"""Shared by the fake company's tests."""

from __future__ import annotations

from pathlib import Path

from fake_company.scenario import Scenario, load

PUBLIC = "https://agent.example.com"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def scenario_file(tmp_path: Path, text: str) -> Scenario:
    path = tmp_path / "company.toml"
    path.write_text(text, encoding="utf-8")
    return load(str(path))
