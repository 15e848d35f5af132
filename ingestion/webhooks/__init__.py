"""Push: provider change notifications in, one incremental sync of the athlete they name out.

``schemes``  verification building blocks (HMAC of timestamp + body, token handshakes) and the request types
``intake``   the intake queue, ``$OPENFIT_HOME/webhooks/intake.sqlite`` (never the warehouse)
``app``      the receiver, a small FastAPI app on its own port (``openfit serve``: ``webhook_port``)

Dagster's ``webhook_sensor`` (orchestration/defs/webhooks.py) turns pending deliveries into sync runs.
"""
