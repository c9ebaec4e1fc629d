# Closeloop gateway: the built JavaScript (npm run build → dist/) run by plain `node` on Node 24 LTS.
# Build: docker build -t closeloop .   Run: docker run -p 8080:8080 -v closeloop-data:/data closeloop
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies are needed to build (esbuild, and the Redoc bundle copied into dist/).
# --ignore-scripts: the `node` dev dependency's install script would fetch a second Node 24 for npm
# scripts (the image has one); esbuild finds its platform binary package without its own script.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY connectors ./connectors
COPY openapi.yaml ./
# The console (ui/ → ui/dist, copied to dist/ui by the build): Vite is a dev dependency.
COPY ui ./ui
RUN npm run build:ui && npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. better-sqlite3 13 ships N-API prebuilt binaries in its npm package
# (linux-x64/arm64, glibc and musl) and loads them on any Node >= 22: nothing to compile. Its
# implicit `node-gyp rebuild` (a no-op when a prebuild fits) would still want python3 and make, so
# no install scripts run here (the others in the production tree: protobufjs' version notice).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM node:24-bookworm-slim
WORKDIR /app
# MALLOC_ARENA_MAX: also set by bin/closeloop-node (the CMD); here too so that every process of
# the container (docker exec, the healthcheck) has it from its start.
ENV NODE_ENV=production CLOSELOOP_CONFIG=/app/closeloop.yaml CLOSELOOP_DB=/data/closeloop.db MALLOC_ARENA_MAX=2
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin/closeloop-node ./bin/closeloop-node
COPY closeloop.example.yaml ./closeloop.yaml
RUN mkdir -p /data && chown node:node /data
# The image's unprivileged user (uid 1000); it owns only /data.
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains: no new claims, in-flight attempts finish and are recorded.
STOPSIGNAL SIGTERM
# bin/closeloop-node: the one place of the process's node flags and malloc setting (issue 12, RSS);
# it execs node, so node is PID 1 and gets the SIGTERM.
CMD ["bin/closeloop-node", "dist/main.js"]
