"""hold-agent: an outbound phone agent that knows when it is on hold.

Layers, imports pointing one way (see ../shared/DESIGN.md and README.md):
pure core (session, events, detection, machine) <- adapters (config, transcription,
signing, telnyx, dry_run, telnyx_bodies, webhooks, store, outbox, schemas)
<- service <- routes/main.
"""
