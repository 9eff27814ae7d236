"""/health answers load balancers without a token."""


def test_health_reports_the_app_and_database(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
