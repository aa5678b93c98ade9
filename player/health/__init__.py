"""Health: readings, the report spool and uploader, status.json and Prometheus output."""
