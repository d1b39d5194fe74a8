"""Django admin is a second door to a patient's data: opening a record's page there is a read, audited
like the API's (audit.reads: one entry per patient per request, one INSERT, written by
AuditMiddleware, nothing for a refused page).

    class ConsultationAdmin(AuditReadsAdminMixin, ServiceFormAdmin): ...

The change (or view) page, the delete confirmation and the history page of one record read it; a
changelist reads every row it shows (their patient through `list_select_related`, as the page
shows them: keep the patient path selected there, or each row costs a query). The kind of data and
the path to the patient come from the audited-model registry (audit.registry), or from
`audit_read = (DataKind.X, "path.to.patient_id")` on the admin class (readings, not registered
for changes)."""

from audit.reads import follow, record_object_read, record_read


class AuditReadsAdminMixin:
    audit_read = None  # (kind, patient path); None: the registry's

    def _audit_spec(self):
        if self.audit_read is not None:
            return self.audit_read
        from audit.registry import spec_for

        spec = spec_for(self.model)
        return (spec.kind, spec.patient) if spec is not None and spec.patient else None

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        spec = self._audit_spec()
        if obj is not None and spec is not None:
            record_object_read(obj, *spec)
        return obj

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        spec = self._audit_spec()
        if changelist is not None and spec is not None:
            kind, patient = spec
            for row in changelist.result_list:
                record_read(kind, [follow(row, patient)], self.model, object_id=row.pk)
        return response
