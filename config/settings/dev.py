import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", True)
ALLOWED_HOSTS = ["*"]
# runserver serves the demo (`make run`); production runs gunicorn under
# config.settings.production (Procfile), so its "development server" banner says nothing new.
os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
