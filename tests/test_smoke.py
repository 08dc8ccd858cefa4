import pytest

pytestmark = pytest.mark.django_db


def test_officer_lands_on_log_a_deflection(cast):
    response = cast.login("officer_a1").get("/", follow=True)
    assert response.status_code == 200
    assert b"Log a deflection" in response.content
