"""The app's PostgreSQL role: what the web app and the workers may do to the tables.

Two roles, so that the access record stays whole whatever the app is made to run. The
owner role creates and alters the tables (only `manage.py migrate` connects as it, through
MIGRATE_DATABASE_URL); the app role (DATABASE_URL, used by web, worker and beat) owns
nothing and may only read and write rows. A table's owner can TRUNCATE it, drop or
disable the trigger that keeps access events final (deflection/migrations/0002_initial), or drop
it; the app role can do none of that, and may only add to and read the access record.

`app_role_grant` runs as the owner at the end of every `migrate` (see deflection.apps),
since each migration may add tables, and by hand with `manage.py db_grant_app_role`.
"""

from __future__ import annotations

from django.db import connections, transaction

# Rows nobody may change or remove: the app may only add to them and read them.
APPEND_ONLY_TABLES = ("deflection_accessevent",)
# Django's record of applied migrations: only `migrate` (the owner) writes it.
READ_ONLY_TABLES = ("django_migrations",)


class UnsafeAppRole(Exception):
    """The role named as the app's could alter tables: granting to it would protect nothing."""


def _problems(cursor, role: str) -> list[str]:
    cursor.execute(
        """
        SELECT r.rolsuper, r.rolcreaterole, r.rolbypassrls,
               r.rolname = current_user,
               pg_has_role(r.oid, current_user, 'MEMBER'),
               (SELECT count(*) FROM pg_class c
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relowner = r.oid AND n.nspname = current_schema()),
               (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid),
               (SELECT count(*) FROM pg_database WHERE datdba = r.oid AND datname = current_database())
          FROM pg_roles r WHERE r.rolname = %s
        """,
        [role],
    )
    row = cursor.fetchone()
    if row is None:
        return [f"there is no role {role!r}"]
    superuser, createrole, bypassrls, is_me, member_of_me, tables, schemas, databases = row
    problems = []
    if superuser or createrole or bypassrls:
        problems.append("it is a superuser or may create roles or bypass row security")
    if is_me or member_of_me:
        problems.append("it is the role running the migrations, or may act as it")
    if tables or schemas or databases:
        problems.append("it owns tables, a schema or the database")
    return problems


def app_role_grant(*, role: str, using: str = "default") -> None:
    """Give `role` what the web app and the workers need, and nothing that alters a table.

    Runs as the tables' owner. Every table of the schema: SELECT, INSERT, UPDATE, DELETE;
    the append-only ones SELECT and INSERT; the migrations table SELECT. Never TRUNCATE,
    REFERENCES or TRIGGER. Sequences: USAGE and SELECT. Tables the owner creates later get
    the same by default until the next grant narrows them.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        problems = _problems(cursor, role)
        if problems:
            raise UnsafeAppRole(f"Refusing to grant to the app role {role!r}: " + "; ".join(problems) + ".")
        cursor.execute("SELECT current_schema()")
        schema = connection.ops.quote_name(cursor.fetchone()[0])
        grantee = connection.ops.quote_name(role)
        statements = [
            f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
            # From nothing, so that a privilege granted earlier (TRUNCATE by hand, UPDATE on a
            # table since made append-only) does not survive.
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {grantee}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {grantee}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {grantee}",
        ]
        tables = set(connection.introspection.table_names(cursor))
        for revoked, names in (("UPDATE, DELETE", APPEND_ONLY_TABLES), ("INSERT, UPDATE, DELETE", READ_ONLY_TABLES)):
            for table in tables.intersection(names):
                statements.append(f"REVOKE {revoked} ON {schema}.{connection.ops.quote_name(table)} FROM {grantee}")
        for statement in statements:
            cursor.execute(statement)
