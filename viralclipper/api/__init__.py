"""The REST API (`/api/v1`): FastAPI routers on the web app's server, one module per resource.

Like the web pages it acts through `queue/api.py` and the models, so ownership, limits and URL
checks are the same whichever door a request comes in by.
"""
