"""The health check: the load balancer's probe, and the trivial view the page benchmarks are measured beside."""

import pytest


@pytest.mark.django_db
def test_health_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/")
    assert (response.status_code, response.content, response["Content-Type"]) == (200, b"ok\n", "text/plain")
    assert response["Cache-Control"] == "no-store"
