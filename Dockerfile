# The image behind compose.yaml's web, worker, scheduler and migrate services.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput
RUN useradd --system kite
USER kite
EXPOSE 8000
CMD ["gunicorn", "kite.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2"]
