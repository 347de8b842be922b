# syntax=docker/dockerfile:1
# Mogi's two images, from one file:
#   docker build --target web -t mogi-web .         the web server: no torch, small
#   docker build --target worker -t mogi-worker .   the demo worker, with CPU torch
#   docker build --target worker -t mogi-worker:cuda --build-arg TORCH_VARIANT=cuda \
#       --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 .     (NVIDIA GPUs)
# Packages come from requirements/*.lock (exact versions, hashes checked) and are installed
# before the code is copied, so a code change rebuilds in seconds. Behind a mirror or a
# TLS-intercepting proxy:
#   --build-arg PIP_INDEX_URL=https://mirror.example/simple
#   --secret id=pip_ca,src=/path/to/proxy-ca.pem   (pip trusts it during the build; not stored)
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- shared by every stage ---------------------------------------------------------------
FROM ${BASE_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONPATH=/app \
    MOGI_ENV=production \
    MOGI_DATA_DIR=/data \
    MOGI_MNIST_DIR=/data/mnist \
    MOGI_HOST=0.0.0.0 \
    MOGI_PORT=8000

# ---- a virtual environment with the `mogi` command (the code itself is on PYTHONPATH) ----
FROM base AS venv
RUN python -m venv /opt/venv \
    && printf '#!/opt/venv/bin/python\nimport sys\nfrom app.cli import main\nsys.exit(main())\n' \
       > /opt/venv/bin/mogi \
    && chmod 755 /opt/venv/bin/mogi
COPY requirements/ /tmp/requirements/

# ---- the web server's packages -----------------------------------------------------------
FROM venv AS web-packages
ARG PIP_INDEX_URL=https://pypi.org/simple
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
    && pip install --no-cache-dir --index-url "$PIP_INDEX_URL" --require-hashes --no-deps \
       -r /tmp/requirements/web.lock \
    && pip check

# ---- the worker's packages: the web's, torch's dependencies, and torch -------------------
FROM venv AS worker-packages
ARG PIP_INDEX_URL=https://pypi.org/simple
# cpu: the wheel pinned by hash in requirements/torch-cpu.lock. Anything else (cuda): the
# TORCH_VERSION build from TORCH_INDEX, with the CUDA libraries it depends on.
ARG TORCH_VARIANT=cpu
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
    && pip install --no-cache-dir --index-url "$PIP_INDEX_URL" --require-hashes --no-deps \
       -r /tmp/requirements/worker.lock \
    && if [ "$TORCH_VARIANT" = cpu ]; then \
         pip install --no-cache-dir --index-url "$TORCH_INDEX" --require-hashes --no-deps \
           -r /tmp/requirements/torch-cpu.lock; \
       else \
         pip install --no-cache-dir --index-url "$TORCH_INDEX" --extra-index-url "$PIP_INDEX_URL" \
           "torch==${TORCH_VERSION}"; \
       fi \
    && pip check

# ---- the code: the same for both images --------------------------------------------------
FROM base AS code
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY content ./content
COPY templates ./templates
COPY static ./static
COPY models ./models
COPY app ./app

# ---- what both images start from: a user, the data folders ------------------------------
FROM base AS runtime
# A numeric user, so Kubernetes' runAsNonRoot can check it; bind mounts must be writable by
# uid 10001 (see README).
RUN groupadd --gid 10001 mogi \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/mogi mogi \
    && mkdir -p /data/mnist \
    && chown -R 10001:10001 /data
WORKDIR /app
VOLUME ["/data"]

# ---- web: `mogi start web` migrates, imports the shipped packs, then serves ---------------
FROM runtime AS web
COPY --from=web-packages /opt/venv /opt/venv
COPY --from=code /app /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["mogi", "health", "web"]
CMD ["mogi", "start", "web"]

# ---- worker: `mogi start worker` migrates, loads torch and MNIST, then runs demo jobs -----
FROM runtime AS worker
COPY --from=worker-packages /opt/venv /opt/venv
COPY --from=code /app /app
# Offline, a worker without MNIST says which files are missing (log, health) and looks
# again every 30 s instead of exiting into a restart loop.
ENV MOGI_MNIST_WAIT_S=30
USER 10001:10001
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["mogi", "health", "worker"]
CMD ["mogi", "start", "worker"]
