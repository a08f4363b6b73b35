# syntax=docker/dockerfile:1
# tuneloop's images, one target each (docker-compose.yml and deploy/k8s build and use them):
#   hub (default)  the HTTP API and the job handlers that need no Python
#                    docker build -t tuneloop .
#   worker         `tuneloop worker` for finetune.train + model.evaluate, with the gpu-worker's
#                  Python environment on the CPU
#                    docker build --target worker -t tuneloop-worker .
#   worker-cuda    the same on the CUDA runtime (compose profile `gpu`, GPU nodes in Kubernetes)
#                    docker build --target worker-cuda -t tuneloop-worker-cuda .
# Every image runs as uid 1000 and keeps its state in /data (TUNELOOP_HOME), owned by that uid,
# so a fresh named volume mounted there is writable.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04

# --- the Node application, shared by every target ---
FROM ${NODE_IMAGE} AS app
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY integrations ./integrations
COPY migrations ./migrations
COPY fixtures ./fixtures
COPY policies ./policies
COPY tsconfig.json ./
# The worker processes spawn `python -m tuneloop_worker` in /app/gpu-worker.
COPY gpu-worker/pyproject.toml gpu-worker/README.md ./gpu-worker/
COPY gpu-worker/tuneloop_worker ./gpu-worker/tuneloop_worker
RUN mkdir -p /data && chown 1000:1000 /data
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 LOG_FORMAT=json TUNELOOP_HOME=/data

# --- worker: Node + the gpu-worker's Python environment (CPU) ---
FROM app AS worker
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH \
    TUNELOOP_WORKER_PYTHON=/opt/venv/bin/python HF_HOME=/cache/huggingface
# Debian's Python 3.11; version pins would break on every point release of the distribution.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv \
 && mkdir -p /cache && chown 1000:1000 /cache
# torch pinned like gpu-worker/scripts/setup_venv.py. TORCH_INDEX_URL may name PyTorch's CPU-only
# wheel index for a much smaller image; unset, pip's default index is used.
ARG TORCH_SPEC="torch==2.13.0"
ARG TORCH_INDEX_URL=""
# hadolint ignore=DL3013
RUN pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "$TORCH_SPEC"
# The package's own versions are pinned by its pyproject.toml ranges.
# hadolint ignore=DL3013
RUN pip install ./gpu-worker && rm -rf gpu-worker/build gpu-worker/*.egg-info
VOLUME ["/data", "/cache"]
EXPOSE 8081
USER 1000:1000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s CMD ["node", "-e", "fetch('http://127.0.0.1:8081/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "src/cli.ts", "worker", "--queues", "finetune.train,model.evaluate", "--health-port", "8081"]

# --- worker-cuda: the same on NVIDIA's CUDA runtime, with QLoRA (bitsandbytes) ---
FROM ${CUDA_IMAGE} AS worker-cuda
ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH \
    TUNELOOP_WORKER_PYTHON=/opt/venv/bin/python HF_HOME=/cache/huggingface \
    NODE_ENV=production HOST=0.0.0.0 PORT=8080 LOG_FORMAT=json TUNELOOP_HOME=/data
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv
# On Linux the default torch wheel is the CUDA build.
ARG TORCH_SPEC="torch==2.13.0"
# hadolint ignore=DL3013
RUN pip install "$TORCH_SPEC"
# Node from the same image the hub runs on, and the application with its node_modules.
COPY --from=app /usr/local/bin/node /usr/local/bin/node
COPY --from=app /app /app
WORKDIR /app
# hadolint ignore=DL3013
RUN pip install "./gpu-worker[qlora]" && rm -rf gpu-worker/build gpu-worker/*.egg-info \
 && mkdir -p /data /cache && chown 1000:1000 /data /cache
VOLUME ["/data", "/cache"]
EXPOSE 8081
USER 1000:1000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s CMD ["node", "-e", "fetch('http://127.0.0.1:8081/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "src/cli.ts", "worker", "--queues", "finetune.train,model.evaluate", "--health-port", "8081"]

# --- hub (the default target, last so a plain `docker build .` gives it) ---
FROM app AS hub
VOLUME ["/data"]
EXPOSE 8080
USER 1000:1000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "src/cli.ts", "start"]
