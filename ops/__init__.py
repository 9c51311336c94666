"""Tools a developer or operator runs against a deployed environment in AWS (set its Authsignal
key, write the web app's configuration): apart from ``e2e/``, the local emulator's harness."""
