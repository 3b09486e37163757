"""The Dash console, the REST API routers, authentication and translations."""
