# rotad container image: multi-stage build on the current Node LTS (24), slim base.
# Config:  /etc/rotad/rotad.yaml   (mount your own over it, or set ROTAD_CONFIG)
# State:   /var/lib/rotad          (a volume: file store, its key, the pid file)
# Health:  http://:9750/healthz and /readyz
FROM node:24-slim AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm sbom --omit dev --sbom-format cyclonedx --sbom-type application > sbom.cdx.json \
 && npm prune --omit=dev

FROM node:24-slim
# The version is package.json's (a test keeps them equal). REVISION and SOURCE come from the build:
#   --build-arg REVISION=$(git rev-parse HEAD) --build-arg SOURCE=<the repository's URL>
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="rotad" \
      org.opencontainers.image.description="Secret-rotation daemon for SaaS API credentials" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.licenses="Apache-2.0"
# tini as PID 1: forwards SIGTERM/SIGHUP/SIGUSR2 to node and reaps the processes exec consumers leave.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    ROTAD_CONFIG=/etc/rotad/rotad.yaml \
    ROTAD_STATE_DIR=/var/lib/rotad \
    ROTAD_HEALTH_HOST=0.0.0.0 \
    ROTAD_API_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/sbom.cdx.json ./sbom.cdx.json
COPY config/rotad.example.yaml /etc/rotad/rotad.yaml
COPY config/consumers /etc/rotad/consumers
RUN mkdir -p /var/lib/rotad && chown node:node /var/lib/rotad && chmod 0700 /var/lib/rotad
USER node
VOLUME ["/var/lib/rotad"]
# 9750: /healthz, /readyz, /metrics. 9760: the control API and hand-over page, when daemon.api is set.
EXPOSE 9750 9760
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9750/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is started directly (not through npm), so signals reach it.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["run"]
