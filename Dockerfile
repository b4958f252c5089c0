# Xuncha: the API and the built PWA in one image. Data (SQLite + photos) lives in /data.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm install --no-save --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei libheif1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml requirements.lock ./
COPY app/ app/
RUN pip install --no-cache-dir -c requirements.lock .
COPY alembic.ini ./
COPY migrations/ migrations/
COPY --from=frontend /src/frontend/dist frontend/dist
ENV XUNCHA_DATABASE_URL=sqlite:////data/xuncha.db \
    XUNCHA_MEDIA_DIR=/data/media \
    XUNCHA_FRONTEND_DIST=/app/frontend/dist \
    XUNCHA_TAXONOMY_PATH=/app/app/categories/taxonomy.json \
    XUNCHA_LOG_FORMAT=json
VOLUME /data
EXPOSE 8000
CMD ["sh", "-c", "alembic upgrade head && python -m app.demo.seed && exec python -m app.serve --host 0.0.0.0 --port 8000"]
