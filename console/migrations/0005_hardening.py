"""Seal every account's auth token: keep it sealed (to sign callbacks) and as a digest (to check
requests), never in clear."""

from django.db import migrations, models

from console.models import AUTH_TOKEN_PURPOSE, auth_token_sealed
from console.sealing import unseal


def seal_tokens(apps, schema_editor):
    Account = apps.get_model("console", "Account")
    for account in Account.objects.only("sid", "auth_token").iterator():
        sealed, digest = auth_token_sealed(account.auth_token)
        Account.objects.filter(sid=account.sid).update(
            auth_token_sealed=sealed, auth_token_digest=digest
        )


def unseal_tokens(apps, schema_editor):
    Account = apps.get_model("console", "Account")
    for account in Account.objects.only("sid", "auth_token_sealed").iterator():
        token = unseal(account.auth_token_sealed, purpose=AUTH_TOKEN_PURPOSE)
        Account.objects.filter(sid=account.sid).update(auth_token=token)


class Migration(migrations.Migration):
    dependencies = [("console", "0004_scopes")]

    operations = [
        migrations.AddField(
            model_name="account",
            name="auth_token_sealed",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="account",
            name="auth_token_digest",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="account",
            name="secondary_auth_token_sealed",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="account",
            name="secondary_auth_token_digest",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="account",
            name="secondary_auth_token_date_created",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(seal_tokens, unseal_tokens),
        migrations.RemoveField(model_name="account", name="auth_token"),
    ]
