"""`manage.py reindex_concepts`: re-annotate chunks with the current glossary (after it changed)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from knowledge.glossary import glossary
from knowledge.indexing import refresh_concepts


class Command(BaseCommand):
    help = "Recompute the glossary concepts of chunks annotated with an older glossary version."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        done = refresh_concepts(batch_size=options["batch_size"])
        self.stdout.write(f"{done} chunks re-annotated (glossary {glossary().version})")
