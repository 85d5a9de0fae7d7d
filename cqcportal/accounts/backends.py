"""Signing in by e-mail address (lock-outs are django-axes's AxesStandaloneBackend, listed first)."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Django's model backend with the e-mail address as the user name (matched case-insensitively)."""
