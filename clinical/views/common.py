"""What the clinical views share: the caller's role and the consultation list's fields (role sets: accounts.roles)."""

CONSULTATION_SEARCH = ["chief_complaint", "diagnosis", "summary"]
CONSULTATION_ORDERING = ["created_at", "follow_up_date", "id"]
# A patient's consultations (/patients/{id}/consultations/): searched and ordered as /consultations/ is;
# the keywords of nested_list() and nested_list_parameters().
CONSULTATION_LIST = {"ordering_fields": CONSULTATION_ORDERING, "ordering": ["-created_at", "-id"],
                     "search_fields": CONSULTATION_SEARCH}


def role_of(request):
    # getattr: the schema generator inspects views with an anonymous user.
    return getattr(request.user, "role", None)
