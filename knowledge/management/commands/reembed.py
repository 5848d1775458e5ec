"""`manage.py reembed [--backend ALIAS]`: re-embed every chunk and switch the index to that model."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from knowledge.embeddings import EmbeddingError, active_backend_alias
from knowledge.reembedding import reembed_abort, reembed_all


class Command(BaseCommand):
    help = (
        "Re-embed all chunks with an embedding backend from EMBEDDING_BACKENDS, in batches, while the "
        "current vectors keep serving searches; then switch queries and ingestion to it atomically."
    )

    def add_arguments(self, parser):
        parser.add_argument("--backend", default="default", help="alias in EMBEDDING_BACKENDS (default: default)")
        parser.add_argument("--batch-size", type=int, default=64)
        parser.add_argument("--abort", action="store_true", help="discard a half-finished re-embedding")

    def handle(self, *args, **options):
        if options["abort"]:
            self.stdout.write(f"discarded {reembed_abort()} pending vectors")
            return
        backend = options["backend"]
        if backend not in settings.EMBEDDING_BACKENDS:
            raise CommandError(f"unknown backend {backend!r}; configured: {', '.join(settings.EMBEDDING_BACKENDS)}")
        self.stdout.write(f"index uses {active_backend_alias()!r}; re-embedding with {backend!r}")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total} chunks")

        try:
            switched = reembed_all(backend=backend, batch_size=options["batch_size"], progress=progress)
        except EmbeddingError as exc:
            raise CommandError(
                f"re-embedding stopped: {exc}. Vectors in use are unchanged; run again to resume."
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"switched {switched} chunks to {backend!r}"))
