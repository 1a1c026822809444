"""Entry point: `python app.py` runs the service (dry-run unless TELNYX_DRY_RUN=false).

For any other ASGI server, `build_app()` returns the app (a factory: `uvicorn --factory
app:build_app`). This file composes the two packages: the hold agent itself, and the fake
company's TeXML pages it also serves in dry-run (or when FAKE_COMPANY_PAGES=true).
"""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI
from pydantic import ValidationError

from fake_company.texml_routes import build_router as fake_company_router
from hold_agent.config import InsecureSettings, Settings
from hold_agent.http.app import create_app
from hold_agent.http.server import serve
from hold_agent.telnyx.client import CallControl


def build_app(settings: Settings | None = None, call_control: CallControl | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_app(settings, call_control)
    if settings.serves_fake_company:
        app.include_router(fake_company_router(settings.public_base_url))
    return app


def load_settings() -> Settings:
    try:
        return Settings()
    except (ValidationError, ValueError) as error:
        sys.exit(f"hold-agent: the settings are not usable:\n{error}")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    try:
        app = build_app(settings)
    except InsecureSettings as refusal:
        sys.exit(f"hold-agent: {refusal}")
    serve(
        app,
        settings.host,
        settings.port,
        header_timeout=settings.header_timeout_seconds,
        max_connections=settings.max_connections,
    )


if __name__ == "__main__":
    main()
