# Mogi: one image for the web server and the demo worker.
#   docker build -t mogi .                                  (CPU torch)
#   docker build -t mogi:cuda --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 .
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOGI_DATA_DIR=/data \
    MOGI_MNIST_DIR=/data/mnist \
    MOGI_HOST=0.0.0.0 \
    MOGI_PORT=8000

WORKDIR /app
# torch first, from the index of the wanted build, so no other resolver picks a different one.
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY models ./models
RUN pip install -e . && useradd --create-home --uid 10001 mogi && mkdir -p /data && chown mogi /data
COPY content ./content
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations

USER mogi
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
# The web process: migrate, import the shipped packs (a no-op when unchanged), serve.
CMD ["sh", "-c", "mogi migrate && mogi import && exec mogi serve"]
