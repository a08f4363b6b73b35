"""Command line of the worker; see __main__.py."""
