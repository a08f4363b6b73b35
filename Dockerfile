# The hub: HTTP API, dashboard and job handlers. The gpu-worker has its own image (gpu-worker/Dockerfile).
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY integrations ./integrations
COPY migrations ./migrations
COPY fixtures ./fixtures
COPY policies ./policies
COPY tsconfig.json ./
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 LOG_FORMAT=json TUNELOOP_HOME=/data
VOLUME /data
EXPOSE 8080
USER node
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/cli.ts", "start"]
