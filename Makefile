# AutoBoss Assistant. The two commands a newcomer needs:
#   make run    - install everything and run the product (embedded database, worker, beat)
#   make test   - install everything and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: run dev test install install-dev lint format migrate check-deploy healthcheck docker-lint clean-var help

help:
	@echo "make run | dev | test | lint | format | migrate | check-deploy | healthcheck | docker-lint | clean-var"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when a requirements file changed.
$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

# Translations: the .po catalogs are in git, their .mo files are built here in pure Python (no GNU
# gettext needed). The command skips catalogs whose .mo is current, so running it on every install
# costs a fraction of a second and picks up a pulled or edited .po. Run as a module: no Django
# settings are loaded, so no embedded database is started just to compile.
COMPILE_TRANSLATIONS := $(PY) -m core.management.commands.compile_translations

install: $(VENV)/.runtime-installed
	$(COMPILE_TRANSLATIONS)
install-dev: $(VENV)/.dev-installed
	$(COMPILE_TRANSLATIONS)

run: install
	$(PY) manage.py serve

dev: install
	$(PY) manage.py serve --dev

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrate: install
	$(PY) manage.py migrate

check-deploy: install
	set -a; source deploy/production.env.example; set +a; \
	DJANGO_SETTINGS_MODULE=config.settings.production $(PY) manage.py check --deploy --fail-level WARNING

healthcheck: install
	$(PY) manage.py healthcheck

docker-lint: install-dev
	$(VENV)/bin/hadolint Dockerfile

clean-var:
	rm -rf var/
