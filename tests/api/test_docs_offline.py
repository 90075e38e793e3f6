"""/api/docs/ works without internet: Swagger UI comes from the installed sidecar package."""

import pytest

pytestmark = pytest.mark.django_db


def test_swagger_ui_is_served_from_our_static_files_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn.jsdelivr.net" not in page
