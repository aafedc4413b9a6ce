# syntax=docker/dockerfile:1
# One image for every redoubt app; the service is chosen by the command (node apps/<app>/dist/main.js).
# BASE_IMAGE defaults to the public Node image. Machines without a container registry build a local base
# with deploy/docker/build-offline-base.sh and pass it: --build-arg BASE_IMAGE=redoubt/offline-base:bookworm
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
COPY package.json package-lock.json .npmrc tsconfig.base.json ./
COPY tools ./tools
COPY libs ./libs
COPY apps ./apps
# Install scripts are not needed: lmdb and msgpackr ship prebuilt binaries in their platform packages.
RUN bash tools/npm-install.sh --ignore-scripts
RUN set -e; for app in data gateway backup-worker monitor chaos stack; do \
      if [ -f "apps/$app/src/main.ts" ]; then (cd "apps/$app" && node ../../tools/build-app.mjs); fi; \
    done
# The backups' object store for compose (the `s3` service): s3rver's small entry point, bundled the same way.
RUN node_modules/.bin/esbuild libs/backup-stores/src/s3rver-main.ts --bundle --platform=node --format=esm \
      --target=node20 --packages=external --sourcemap --outfile=apps/s3/dist/main.js
RUN npm prune --omit=dev --no-audit --no-fund --ignore-scripts && rm -rf node_modules/@redoubt

FROM ${BASE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system --gid 10001 redoubt \
 && useradd --system --uid 10001 --gid redoubt --home-dir /app --shell /usr/sbin/nologin redoubt \
 && mkdir -p /data /backups \
 && chown redoubt:redoubt /data /backups
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/apps ./apps-build
RUN set -e; mkdir -p apps; for d in apps-build/*/dist; do app=$(basename "$(dirname "$d")"); mkdir -p "apps/$app"; mv "$d" "apps/$app/dist"; done; rm -rf apps-build
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
COPY chaos/scenarios ./chaos/scenarios
USER 10001:10001
HEALTHCHECK --interval=5s --timeout=2s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "--enable-source-maps"]
CMD ["apps/gateway/dist/main.js"]
