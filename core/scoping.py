"""A scope's "this column is one of those ids" that PostgreSQL can answer from an index inside an OR.

`col IN (subquery)` is a semi-join, but `a = 1 OR col IN (subquery)` cannot be one: PostgreSQL then
tests every row against a hashed subplan, a scan of the whole table (issue 15). As
`col = ANY(ARRAY(subquery))` the subquery runs once (an InitPlan) and each arm of the OR keeps its
index (a BitmapOr). SQLite, which has no arrays, gets the plain `IN (subquery)`.
"""
from django.db.models import BooleanField, Expression, F, Subquery


class InIds(Expression):
    """A filter: `column` is among the ids the queryset selects (its one column)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column, queryset):
        super().__init__()
        self.column = F(column) if isinstance(column, str) else column
        self.ids = Subquery(queryset.order_by())

    def get_source_expressions(self):
        return [self.column, self.ids]

    def set_source_expressions(self, exprs):
        self.column, self.ids = exprs

    def _compile(self, compiler):
        column, column_params = compiler.compile(self.column)
        ids, ids_params = compiler.compile(self.ids)
        return column, ids, (*column_params, *ids_params)

    def as_sql(self, compiler, connection):
        column, ids, params = self._compile(compiler)
        return f"{column} IN {ids}", params

    def as_postgresql(self, compiler, connection):
        column, ids, params = self._compile(compiler)
        return f"{column} = ANY(ARRAY{ids})", params
