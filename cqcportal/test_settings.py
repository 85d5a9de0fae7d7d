"""Settings for the test suite: the main settings with CQC_TESTING set, so nothing production-only is required."""

import os

os.environ.setdefault("CQC_TESTING", "1")

from cqcportal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never outside tests
