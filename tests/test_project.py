"""Project-level checks that belong in every run."""

from io import StringIO

from django.core.management import call_command


def test_migrations_match_the_models(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_system_checks_pass():
    call_command("check")


def test_production_hashes_passwords_with_argon2():
    import pingan.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_postgresql_connections_run_without_jit(db):
    """A short read whose plan is estimated as costly spent more time in JIT compilation than in running
    (settings.database_from_url); on PostgreSQL the live connection says so too."""
    from django.db import connection

    from pingan.settings import database_from_url

    assert "-c jit=off" in database_from_url("postgres://u@127.0.0.1:5432/d")["OPTIONS"]["options"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
