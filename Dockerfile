# Kairos: multi-stage build. Not built on the development machine (it has no Docker engine);
# see README "Docker".

# 1. Production dependencies only: no bun/deno binaries, no vitest, no typescript.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 2. Runtime: the sources run through tsx (a dependency), as `npm start` does.
FROM node:20-bookworm-slim AS runtime
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
# Run tsx directly (not through npm) so SIGTERM reaches the service and it stops gracefully.
CMD ["node_modules/.bin/tsx", "src/runtime/node.ts"]
