"""Pre-deployment checks (``kailash check-deploy``): one module per family, see ``registry``."""
