import pytest

pytestmark = pytest.mark.django_db


def test_officer_lands_on_log_a_deflection(cast):
    response = cast.login("officer_a1").get("/", follow=True)
    assert response.status_code == 200
    assert b"Log a deflection" in response.content


@pytest.mark.parametrize(
    ("who", "links", "not_links"),
    [
        (
            "officer_a1",
            ["Log a deflection", "My deflections", "My record", "Program wins"],
            ["Dashboard", "Unit dashboard"],
        ),
        ("supervisor_a", ["Log a deflection", "My record", "Unit dashboard"], []),
        ("case_manager_y", ["Partner queue"], ["Dashboard", "My record", "Program wins"]),
        ("command_a", ["Program at a glance", "Dashboard"], ["My record", "Program wins"]),
    ],
)
def test_each_role_finds_its_pages_in_the_menu(cast, who, links, not_links):
    home = cast.login(who).get("/", follow=True)
    nav = home.content.decode().split('aria-label="Main"')[1].split("</nav>")[0]
    for name in links:
        assert f">{name}</a>" in nav, name
    for name in not_links:
        assert f">{name}</a>" not in nav, name
