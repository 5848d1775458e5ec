#!/usr/bin/env bash
# Deploy AutoBoss Assistant on one Docker host with docker compose (docs/deployment.md).
#
#   1 validate       docker compose config, .env present, clean git tree, current deploy healthy
#   2 build          new image; the running one is kept as <image>:previous for rollback
#   3 check config   manage.py check --deploy --fail-level WARNING inside the NEW image
#   4 tests          migrations complete (makemigrations --check) + optional $DEPLOY_TEST_CMD
#   5 backup         pg_dump (custom format) of the postgres service into ./backups/
#   6 migrate        the one-shot migrate service, new image
#   7 restart        web rolled replica set by replica set (new ones healthy before old ones go),
#                    then worker and beat recreated
#   8 health check   /health/ready of every new web replica (and $HEALTH_URL / nginx when present)
#   on failure       re-tag the previous image and bring web/worker/beat back on it
#
# The config check runs after the build because it has to run inside the image being deployed;
# the backup still comes before anything touches the database.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/deploy.sh [--skip-backup] [--skip-tests] [--force] [--help]

  --skip-backup   do not pg_dump the database before migrating
  --skip-tests    skip step 4 (migration completeness check and $DEPLOY_TEST_CMD)
  --force         deploy even with uncommitted changes, without .env, or while the
                  current deployment is unhealthy (e.g. to ship a fix for it)
  -h, --help      show this help

Environment (all optional):
  AUTOBOSS_IMAGE / AUTOBOSS_TAG  image name and tag (default autoboss-assistant:latest)
  WEB_REPLICAS / WORKER_REPLICAS replicas after the deploy (default: as many as run now, min 1)
  HEALTH_URL                     external readiness URL checked with curl at the end,
                                 e.g. https://abparts.example.com/ai/health/ready
  DEPLOY_TEST_CMD                command run on this host in step 4, e.g. "make test"
  BACKUP_DIR / BACKUP_KEEP       where dumps go (./backups) and how many to keep (14)
  HEALTH_TIMEOUT                 seconds a new container may take to become healthy (180)
  READY_RETRIES / READY_INTERVAL readiness attempts and seconds between them (24 x 5)
EOF
}

SKIP_BACKUP=0
SKIP_TESTS=0
FORCE=0
while (($#)); do
    case "$1" in
        --skip-backup) SKIP_BACKUP=1 ;;
        --skip-tests) SKIP_TESTS=1 ;;
        --force) FORCE=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            printf 'unknown option: %s\n\n' "$1" >&2
            usage >&2
            exit 2
            ;;
    esac
    shift
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

IMAGE="${AUTOBOSS_IMAGE:-autoboss-assistant}"
TAG="${AUTOBOSS_TAG:-latest}"
IMAGE_REF="$IMAGE:$TAG"
PREVIOUS_REF="$IMAGE:previous"
BACKUP_DIR="${BACKUP_DIR:-$ROOT/backups}"
BACKUP_KEEP="${BACKUP_KEEP:-14}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-180}"
READY_RETRIES="${READY_RETRIES:-24}"
READY_INTERVAL="${READY_INTERVAL:-5}"
HEALTH_URL="${HEALTH_URL:-}"
DEPLOY_TEST_CMD="${DEPLOY_TEST_CMD:-}"
LOCK_FILE="${LOCK_FILE:-/tmp/autoboss-deploy.lock}"

GIT_SHA="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# docker-compose.yml reads these for the image name and the revision label.
export AUTOBOSS_IMAGE="$IMAGE" AUTOBOSS_TAG="$TAG" GIT_SHA

# Readiness probe run inside a web container (the image has python, not curl). 127.0.0.1 is in
# ALLOWED_HOSTS (docker-compose.yml); X-Forwarded-Proto keeps SECURE_SSL_REDIRECT from answering
# the plain-HTTP probe with a redirect. Non-2xx raises, so the exit code says ready or not.
READY_PROBE='import urllib.request
req = urllib.request.Request("http://127.0.0.1:8000/health/ready", headers={"X-Forwarded-Proto": "https"})
urllib.request.urlopen(req, timeout=10).read()'

STAGE="init"
PREV_IMAGE_ID=""
NEW_IMAGE_ID=""
OLD_WEB_IDS=()
NEW_WEB_IDS=()
WEB_TARGET=1
WORKER_TARGET=1

log() { printf '%s [deploy] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}
compose() { docker compose "$@"; }

# --- helpers ---------------------------------------------------------------------------------------

# Wait until every given container reports healthy; fail fast on unhealthy/exited.
wait_healthy() {
    local deadline=$((SECONDS + HEALTH_TIMEOUT)) id status pending
    (($# > 0)) || return 0
    while true; do
        pending=0
        for id in "$@"; do
            status="$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing)"
            case "$status" in
                healthy) ;;
                starting | created | running) pending=1 ;;
                *)
                    log "container ${id:0:12} is $status"
                    docker logs --tail 40 "$id" >&2 2>&1 || true
                    return 1
                    ;;
            esac
        done
        ((pending)) || return 0
        if ((SECONDS >= deadline)); then
            log "containers not healthy after ${HEALTH_TIMEOUT}s"
            return 1
        fi
        sleep 3
    done
}

service_ids() { compose ps -q "$1" 2>/dev/null || true; }

reload_nginx() {
    # nginx re-resolves `web` by itself (upstream `resolve`); a reload just makes it immediate.
    if [[ -n "$(service_ids nginx)" ]]; then
        compose exec -T nginx nginx -s reload >/dev/null 2>&1 || log "warning: nginx reload failed"
    fi
}

restore_previous_tag() {
    if [[ -n "$PREV_IMAGE_ID" ]]; then
        docker image tag "$PREV_IMAGE_ID" "$IMAGE_REF"
        log "re-tagged $IMAGE_REF -> previous image ${PREV_IMAGE_ID:7:12}"
    else
        log "no previous image to roll back to (first deploy)"
    fi
}

rollback() {
    log "rolling back (failed during stage: $STAGE)"
    case "$STAGE" in
        init | validated)
            return 0
            ;;
        built | tested | backed_up)
            # Nothing running has changed; keep a later `docker compose up` off the failed build.
            restore_previous_tag
            ;;
        migrated)
            restore_previous_tag
            log "migrations were applied; the old containers keep running the previous image"
            log "(migrations must stay backward compatible; the pre-deploy dump is in $BACKUP_DIR)"
            ;;
        rolling)
            # Old web replicas are still serving: drop the new ones.
            if ((${#NEW_WEB_IDS[@]})); then
                docker rm -f "${NEW_WEB_IDS[@]}" >/dev/null || true
            fi
            restore_previous_tag
            reload_nginx
            ;;
        web_rolled | restarted)
            restore_previous_tag
            [[ -n "$PREV_IMAGE_ID" ]] || return 1
            compose up -d --no-deps --no-build --force-recreate \
                --scale web="$WEB_TARGET" --scale worker="$WORKER_TARGET" web worker beat
            local ids
            mapfile -t ids < <(service_ids web)
            wait_healthy "${ids[@]}" || return 1
            reload_nginx
            ;;
    esac
    log "rollback finished: running the previous image"
}

on_exit() {
    local rc=$?
    trap - EXIT
    if ((rc != 0)) && [[ "$STAGE" != "done" ]]; then
        log "deploy FAILED (exit $rc)"
        rollback || log "ROLLBACK FAILED: inspect with 'docker compose ps' and docs/deployment.md"
    fi
    exit "$rc"
}

# --- steps -----------------------------------------------------------------------------------------

step_validate() {
    log "step 1/8: validate configuration"
    command -v docker >/dev/null || die "docker is not installed"
    docker compose version >/dev/null 2>&1 || die "the docker compose v2 plugin is required"
    if [[ ! -f .env ]]; then
        ((FORCE)) || die ".env is missing (start from deploy/production.env.example) or use --force"
        log "warning: no .env, deploying with the defaults of docker-compose.yml (--force)"
    fi
    compose config --quiet || die "docker-compose.yml does not validate"
    if git rev-parse --git-dir >/dev/null 2>&1 && [[ -n "$(git status --porcelain --untracked-files=no)" ]]; then
        ((FORCE)) || die "uncommitted changes in the working tree; commit them or use --force"
        log "warning: deploying uncommitted changes (--force)"
    fi
    local id status
    while read -r id; do
        [[ -n "$id" ]] || continue
        status="$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null || true)"
        if [[ "$status" == "unhealthy" ]]; then
            ((FORCE)) || die "web container ${id:0:12} is unhealthy before the deploy; fix it first or use --force"
            log "warning: current deployment is unhealthy (--force)"
        fi
    done < <(service_ids web)
    STAGE="validated"
}

step_build() {
    log "step 2/8: build $IMAGE_REF (revision $GIT_SHA)"
    PREV_IMAGE_ID="$(docker image inspect --format '{{.Id}}' "$IMAGE_REF" 2>/dev/null || true)"
    if [[ -n "$PREV_IMAGE_ID" ]]; then
        docker image tag "$PREV_IMAGE_ID" "$PREVIOUS_REF"
    fi
    # STAGE first: if the build fails half-way the tag may already be moved; rollback restores it.
    STAGE="built"
    compose build --pull web
    NEW_IMAGE_ID="$(docker image inspect --format '{{.Id}}' "$IMAGE_REF")"
    if [[ "$NEW_IMAGE_ID" == "$PREV_IMAGE_ID" ]]; then
        log "image unchanged; continuing so configuration changes (.env) are applied"
    fi
}

step_check_config() {
    log "step 3/8: manage.py check --deploy inside the new image"
    compose run --rm --no-deps -T migrate python manage.py check --deploy --fail-level WARNING
}

step_tests() {
    if ((SKIP_TESTS)); then
        log "step 4/8: tests skipped (--skip-tests)"
        return 0
    fi
    log "step 4/8: tests"
    # Models and migrations agree (a missing migration would otherwise surface in production).
    compose run --rm -T migrate python manage.py makemigrations --check --dry-run
    if [[ -n "$DEPLOY_TEST_CMD" ]]; then
        log "running DEPLOY_TEST_CMD: $DEPLOY_TEST_CMD"
        bash -c "$DEPLOY_TEST_CMD"
    fi
    STAGE="tested"
}

step_backup() {
    compose up -d --wait postgres redis
    if ((SKIP_BACKUP)); then
        log "step 5/8: backup skipped (--skip-backup)"
        return 0
    fi
    log "step 5/8: back up the database"
    mkdir -p "$BACKUP_DIR"
    local file
    file="$BACKUP_DIR/autoboss-$(date -u +%Y%m%dT%H%M%SZ)-$GIT_SHA.dump"
    # Custom format: compressed, and pg_restore can restore selectively and in parallel.
    # The single quotes are deliberate: $POSTGRES_USER/$POSTGRES_DB expand inside the container.
    # shellcheck disable=SC2016
    if ! (umask 077 && compose exec -T postgres sh -c \
        'pg_dump --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" --format=custom --no-owner' \
        >"$file.partial"); then
        rm -f "$file.partial"
        die "pg_dump failed"
    fi
    [[ -s "$file.partial" ]] || {
        rm -f "$file.partial"
        die "pg_dump produced an empty file"
    }
    mv "$file.partial" "$file"
    log "backup: $file ($(du -h "$file" | cut -f1))"
    # Keep the newest $BACKUP_KEEP dumps.
    find "$BACKUP_DIR" -maxdepth 1 -type f -name 'autoboss-*.dump' -printf '%T@ %p\n' |
        sort -rn | tail -n +"$((BACKUP_KEEP + 1))" | cut -d' ' -f2- |
        xargs -r -d '\n' rm -f --
    STAGE="backed_up"
}

step_migrate() {
    log "step 6/8: migrate"
    STAGE="migrated"
    compose run --rm -T migrate
}

step_restart() {
    log "step 7/8: rolling restart"
    mapfile -t OLD_WEB_IDS < <(service_ids web)
    local old_workers
    old_workers="$(service_ids worker | grep -c . || true)"
    WEB_TARGET="${WEB_REPLICAS:-${#OLD_WEB_IDS[@]}}"
    ((WEB_TARGET >= 1)) || WEB_TARGET=1
    WORKER_TARGET="${WORKER_REPLICAS:-$old_workers}"
    ((WORKER_TARGET >= 1)) || WORKER_TARGET=1

    # Start WEB_TARGET new replicas next to the old ones (--no-recreate keeps the old ones as
    # they are); nginx sends traffic to every healthy address of `web`.
    STAGE="rolling"
    compose up -d --no-deps --no-build --no-recreate \
        --scale web="$((${#OLD_WEB_IDS[@]} + WEB_TARGET))" web
    local all id
    mapfile -t all < <(service_ids web)
    NEW_WEB_IDS=()
    for id in "${all[@]}"; do
        if [[ " ${OLD_WEB_IDS[*]} " != *" $id "* ]]; then
            NEW_WEB_IDS+=("$id")
        fi
    done
    ((${#NEW_WEB_IDS[@]})) || die "no new web containers were started"
    log "waiting for ${#NEW_WEB_IDS[@]} new web replica(s) to become healthy"
    wait_healthy "${NEW_WEB_IDS[@]}" || die "new web replicas did not become healthy"
    reload_nginx

    if ((${#OLD_WEB_IDS[@]})); then
        log "retiring ${#OLD_WEB_IDS[@]} old web replica(s)"
        # SIGTERM: gunicorn stops accepting, finishes in-flight requests (graceful_timeout 20 s).
        docker stop --time 30 "${OLD_WEB_IDS[@]}" >/dev/null
        docker rm "${OLD_WEB_IDS[@]}" >/dev/null
        reload_nginx
    fi
    STAGE="web_rolled"

    # Workers finish their current task on SIGTERM (warm shutdown, stop_grace_period); beat must
    # never run twice, so it is replaced, not rolled.
    compose up -d --no-deps --no-build --force-recreate --scale worker="$WORKER_TARGET" worker beat
    local others
    mapfile -t others < <(
        service_ids worker
        service_ids beat
    )
    wait_healthy "${others[@]}" || die "worker/beat did not become healthy"
    STAGE="restarted"
}

step_health() {
    log "step 8/8: readiness check"
    local attempt ok id nginx_port
    nginx_port=""
    if [[ -n "$(service_ids nginx)" ]]; then
        nginx_port="$(compose port nginx 80 2>/dev/null | sed 's/.*://' || true)"
    fi
    for ((attempt = 1; attempt <= READY_RETRIES; attempt++)); do
        ok=1
        for id in "${NEW_WEB_IDS[@]}"; do
            docker exec "$id" python -c "$READY_PROBE" >/dev/null 2>&1 || ok=0
        done
        if ((ok)) && [[ -n "$nginx_port" ]]; then
            curl -fsS --max-time 10 -H 'X-Forwarded-Proto: https' \
                "http://127.0.0.1:$nginx_port/ai/health/ready" >/dev/null 2>&1 || ok=0
        fi
        if ((ok)) && [[ -n "$HEALTH_URL" ]]; then
            curl -fsS --max-time 10 "$HEALTH_URL" >/dev/null 2>&1 || ok=0
        fi
        if ((ok)); then
            log "ready (attempt $attempt)"
            return 0
        fi
        log "not ready yet (attempt $attempt/$READY_RETRIES)"
        sleep "$READY_INTERVAL"
    done
    # Show what is failing before rolling back.
    docker exec "${NEW_WEB_IDS[0]}" python manage.py healthcheck >&2 || true
    die "/health/ready did not succeed after $READY_RETRIES attempts"
}

main() {
    exec 9>"$LOCK_FILE"
    if command -v flock >/dev/null; then
        flock -n 9 || die "another deploy is running (lock $LOCK_FILE)"
    fi
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    step_validate
    step_build
    step_check_config
    step_tests
    step_backup
    step_migrate
    step_restart
    step_health

    STAGE="done"
    mkdir -p "$BACKUP_DIR"
    printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$GIT_SHA" "$NEW_IMAGE_ID" >>"$BACKUP_DIR/deploy-history.log"
    log "deployed $GIT_SHA ($IMAGE_REF, web x$WEB_TARGET, worker x$WORKER_TARGET); previous image kept as $PREVIOUS_REF"
}

main
