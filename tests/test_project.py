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
