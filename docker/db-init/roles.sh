#!/usr/bin/env bash
# Run once by the postgres image when it creates the database (mounted into
# /docker-entrypoint-initdb.d): the two roles Deflection connects as.
#
#   DB_OWNER_ROLE  owns the database, its schema and every table; only `migrate` connects
#                  as it (MIGRATE_DATABASE_URL).
#   DB_APP_ROLE    the web app and the workers (DATABASE_URL): owns nothing; `migrate`
#                  grants it row access after each run, so it cannot TRUNCATE, alter or
#                  drop a table, nor disable the trigger that keeps the access record final.
#
# Neither is a superuser; the image's POSTGRES_USER stays the only one, for administration.
set -euo pipefail

psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set owner="$DB_OWNER_ROLE" --set owner_password="$DB_OWNER_PASSWORD" \
  --set app="$DB_APP_ROLE" --set app_password="$DB_APP_PASSWORD" \
  --set db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
-- The database owner also owns the public schema (pg_database_owner), so it may create
-- tables and the pg_trgm extension there; nobody else may.
ALTER DATABASE :"db" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
SQL
