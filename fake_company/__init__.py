"""A deterministic fake business to call: TeXML pages for a real Telnyx number, and (later)
a local simulator. It talks to hold_agent only over HTTP, as Telnyx would; neither package
imports the other.
"""
