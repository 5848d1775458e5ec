"""The error every service raises for input it refuses: one class for the whole project, so an API
view or the admin catches the same exception whichever app's service it called."""

from __future__ import annotations


class InvalidInput(ValueError):
    """A service was asked for something it cannot do with this input; the message is for the user."""
