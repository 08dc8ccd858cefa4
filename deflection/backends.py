"""Sign-in backend: Django's, loading with each request's user what nearly every page reads."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from deflection.models import User


class UserBackend(ModelBackend):
    """The user of a signed-in request comes with their agency and officer row, in the same query.

    The officer's pages read both (the agency's defaults, the officer a deflection is logged
    under): without them, logging a deflection costs two more round trips.
    """

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("agency", "officer").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        """Integration clients' service accounts never sign in, nor hold a session: their
        password is unusable, and this refuses them even if someone set one. The API
        authenticates them by token only (api.authentication)."""
        if getattr(user, "role", None) == User.Role.INTEGRATION:
            return False
        return super().user_can_authenticate(user)
