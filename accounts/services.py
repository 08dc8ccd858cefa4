"""Writes of a user's own settings."""

from __future__ import annotations

from django.db import transaction

from deflection.models import User


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Record the language of the user's pages and of what is sent to them."""
    user.language = language
    user.full_clean(validate_unique=False, validate_constraints=False)
    user.save(update_fields=["language"])
    return user
