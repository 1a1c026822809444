"""Deterministic fake businesses to call: TOML scenarios served as TeXML pages (for a real
Telnyx number), a stand-in for the Telnyx API, and a local call simulator.

It talks to hold_agent over HTTP, as Telnyx would. It imports only hold_agent's signing (to
sign webhooks as Telnyx does) and its error tree; hold_agent never imports fake_company
(app.py mounts the fake company's pages in dry-run).
"""
