"""A first check that the API answers."""


def test_lists_contacts(api, world):
    response = api.get("/contacts")
    assert response.status_code == 200, response.json
    assert response.json == {"items": [], "next_cursor": None}
