"""Test settings: the environment the suite needs, set before pingan.settings reads it."""

import os
import tempfile

os.environ.setdefault("PINGAN_FIELD_KEY", "8w7dPq0kqUu2VbX1sWjv9bYJj3bqkM4C8xkBqQ5ZT0E=")
os.environ.setdefault("PINGAN_VAR", os.path.join(tempfile.gettempdir(), f"pingan-test-var-{os.getpid()}"))
os.environ.setdefault("PINGAN_SECRET_KEY", "test-secret-key-not-for-production")
# Tests change grants and rules with factories and read them at once: no process memo (pingan.core.memo)
# unless a test turns it on; PINGAN_MEMO_SECONDS=5 runs the suite the way the server does.
os.environ.setdefault("PINGAN_MEMO_SECONDS", "0")

from pingan.settings import *  # noqa: F403

# Argon2 costs ~0.4 s a password on two cores and every test county has ten users; production keeps
# Argon2 (tests/test_project.py checks that), the suite hashes fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# WhiteNoise indexes every static file when its middleware starts, and the test client starts the
# middleware anew for every client a test makes (hundreds of them); looked up on request instead.
WHITENOISE_AUTOREFRESH = True
