"""The JSON API (``/api/v1``): one router per resource, plus the error handlers."""
