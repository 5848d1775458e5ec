from __future__ import annotations

from django.db import migrations
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    """pgvector must exist before any embedding column; later migrations add the models."""

    initial = True
    dependencies: list = []
    operations = [VectorExtension()]
