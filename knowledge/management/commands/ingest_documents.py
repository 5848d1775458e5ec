"""`manage.py ingest_documents <paths…>`: upload files into the knowledge base from the shell."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from knowledge import services
from knowledge.models import DocumentStatus, DocumentType


class Command(BaseCommand):
    help = "Upload documents (PDF, DOCX, Markdown, text) and ingest them."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or folders (folders: *.pdf, *.docx, *.md, *.txt)")
        parser.add_argument("--machine-models", default="", help="comma separated, e.g. V4.0,V3.1B (default: all)")
        parser.add_argument("--language", default=None, help="en, el, ar, es, tr, nb (default: detected)")
        parser.add_argument("--type", dest="doc_type", default=DocumentType.MANUAL, choices=DocumentType.values)
        parser.add_argument("--title", default="", help="title (only with a single file; default: from file name)")
        parser.add_argument("--revision", default="")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="ingest in this process and return when every document is ready or failed "
            "(without it, the Celery worker ingests them)",
        )

    def handle(self, *args, **options):
        files = self._collect(options["paths"])
        if options["title"] and len(files) > 1:
            raise CommandError("--title needs exactly one file")
        failed = 0
        for path in files:
            with open(path, "rb") as fh:
                upload = File(fh, name=path.name)
                try:
                    outcome = services.document_upload(
                        uploaded_file=upload,
                        title=options["title"],
                        doc_type=options["doc_type"],
                        machine_models=[m for m in options["machine_models"].split(",") if m.strip()],
                        language=options["language"],
                        revision=options["revision"],
                        enqueue=not options["wait"],
                    )
                except services.UploadRejected as exc:
                    failed += 1
                    self.stderr.write(f"REJECTED {path}: {exc.reason}")
                    continue
            document = outcome.document
            verb = "queued" if outcome.created else f"already known (document {document.id}, {document.status})"
            if options["wait"] and document.status == DocumentStatus.QUEUED:
                started = time.perf_counter()
                services.document_ingest(document_id=document.id)
                document.refresh_from_db()
                verb = f"{document.status} in {time.perf_counter() - started:.1f}s"
            if document.status == DocumentStatus.FAILED:
                failed += 1
                self.stderr.write(f"FAILED   {path}: {document.error}")
            else:
                chunks = document.chunks.count()
                self.stdout.write(
                    f"{document.id:>5} {path.name}: {verb}, {document.pages_total} pages, {chunks} chunks"
                )
        if failed:
            raise CommandError(f"{failed} of {len(files)} document(s) could not be ingested")

    def _collect(self, raw_paths: list[str]) -> list[Path]:
        files: list[Path] = []
        for raw in raw_paths:
            path = Path(raw)
            if path.is_dir():
                files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in {".pdf", ".docx", ".md", ".txt"}))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"no such file or folder: {raw}")
        if not files:
            raise CommandError("no documents found")
        return files
