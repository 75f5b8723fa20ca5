"""Test settings: the environment the suite needs, set before pingan.settings reads it."""

import os
import tempfile

os.environ.setdefault("PINGAN_FIELD_KEY", "8w7dPq0kqUu2VbX1sWjv9bYJj3bqkM4C8xkBqQ5ZT0E=")
os.environ.setdefault("PINGAN_VAR", os.path.join(tempfile.gettempdir(), f"pingan-test-var-{os.getpid()}"))
os.environ.setdefault("PINGAN_SECRET_KEY", "test-secret-key-not-for-production")

from pingan.settings import *  # noqa: F403
