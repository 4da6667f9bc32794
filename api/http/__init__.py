"""The HTTP server: the FastAPI app, authentication, rate limits, guards, error bodies and
one router per resource (``api.http.routes``). ``api.http.app.create_app`` builds the app."""
