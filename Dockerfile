# The image behind compose.yaml's web, worker, scheduler and migrate services.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Tesseract reads scans better than the engine from PyPI (docs/benchmarks.md); the fonts draw text thumbnails.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-osd tesseract-ocr-eng \
    tesseract-ocr-fra tesseract-ocr-deu fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-ocr.txt ./
RUN pip install --no-cache-dir -r requirements.txt && pip install --no-cache-dir --no-deps -r requirements-ocr.txt
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput
RUN useradd --system kite
USER kite
EXPOSE 8000
CMD ["gunicorn", "kite.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--preload", "--logger-class", "kite.logs.RedactingLogger"]
