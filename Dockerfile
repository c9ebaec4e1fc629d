# Closeloop gateway. Node 22 LTS in the image (the code also runs on Node 20, where it is tested).
FROM node:22-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The console (ui/ → ui/dist): Vite is a dev dependency, so it is built in its own stage.
FROM node:22-bookworm-slim AS ui
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY ui ./ui
RUN npm run build:ui

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production CLOSELOOP_CONFIG=/app/closeloop.yaml CLOSELOOP_DB=/data/closeloop.db
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json closeloop.example.yaml ./
COPY src ./src
COPY connectors ./connectors
COPY openapi.yaml ./
COPY --from=ui /app/ui/dist ./ui/dist
RUN cp closeloop.example.yaml closeloop.yaml && mkdir -p /data && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM drains: no new claims, in-flight attempts finish and are recorded.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts"]
