from django.db import migrations, models


# A bulk deletion keeps its Logs filter as the product's typed filter in JSON. Existing jobs get
# theirs from their query in each product's own migration (video and voice 0002), which may import
# its filter form.
class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0002_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkdeletion",
            name="selection",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
