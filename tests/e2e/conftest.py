"""Fixtures of the end-to-end tests: real webhook receivers on 127.0.0.1."""

from tests.fakes.webhook_receiver import new_webhook_receiver, webhook_receiver  # noqa: F401  (fixtures)
