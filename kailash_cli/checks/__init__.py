"""Pre-deployment checks (``kailash check-deploy``): one module per family, each ending with its
``FAMILY``; ``registry`` lists them, ``runner`` runs them over a ``project``, ``precedence`` says
which of two findings at one place is reported."""
