"""``kailash serve``: the workflows of a folder as an HTTP service (FastAPI on uvicorn).

``settings`` reads the ``serve:`` config section and loads the workflows; ``auth`` maps
bearer tokens to callers; ``runs`` runs them on threads, bounded, and drains them on stop;
``gateway`` is the ASGI middleware every request goes through (trace id, security headers,
auth, size limit, access log); ``metrics`` the Prometheus exposition; ``app`` the routes;
``openapi`` their description and CORS; ``server`` uvicorn and its signals. Nothing here
is imported unless ``serve`` runs, and FastAPI, uvicorn and prometheus_client (the
``serve`` extra) only inside it.
"""
