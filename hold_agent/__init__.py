"""hold-agent: an outbound phone agent that knows when it is on hold.

Four rooms, imports pointing one way (README.md, "How it works"):

    core/      pure: the session, events and commands, the state machine, the detector.
               No I/O, no clock, no asyncio, no HTTP.
    telnyx/    the Telnyx edge: the Call Control client and its dry-run twin, request
               bodies, webhook parsing, signatures, transcription profiles, dialable numbers.
    runtime/   orchestration: the service (domain results only), the outbox, retries, the
               session store, rate limits.
    http/      the shell: the app factory, auth, the one error mapping, middleware, schemas,
               one router module per resource.

core <- telnyx <- runtime <- http. `config.py` (settings) and `errors.py` (the one error tree)
sit beside them and are read by all four.
"""
