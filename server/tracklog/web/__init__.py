"""The server-rendered web app: the start page, formatting for every page, error pages."""
