"""Helpers for the FHIR tests: parse an answer as FHIR JSON, and follow a Bundle's pages."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

FHIR_JSON = "application/fhir+json; charset=utf-8"


def fhir(response, status=200):
    """The body of a FHIR answer, after checking its status and content type (never HTML)."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == FHIR_JSON, response["Content-Type"]
    return json.loads(response.content)


def outcome(response, status, code=None):
    """A refusal: an OperationOutcome with one issue (severity, code, diagnostics), validated."""
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    body = fhir(response, status)
    OperationOutcome.model_validate(body)
    issue = body["issue"][0]
    assert issue["severity"] in ("error", "fatal") and issue["diagnostics"]
    if code is not None:
        assert issue["code"] == code, issue
    assert "status" not in body  # never the /api/ error shape
    return issue


def next_link(bundle):
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)


def walk(client, url, limit=1000):
    """Every page from `url` along the next links: the list of Bundles."""
    pages = []
    while url and len(pages) < limit:
        pages.append(fhir(client.get(url.removeprefix("http://testserver"))))
        url = next_link(pages[-1])
    assert len(pages) < limit
    return pages


def resources(pages, kind=None):
    return [entry["resource"] for page in pages for entry in page.get("entry", [])
            if kind is None or entry["resource"]["resourceType"] == kind]


@pytest.fixture
def grant():
    """grant(user, patient): a live break-glass grant."""
    from clinical.models import BreakGlassGrant

    def make(user, patient):
        return BreakGlassGrant.objects.create(user=user, patient=patient, reason="Emergency",
                                              expires_at=timezone.now() + timedelta(minutes=30))

    return make
