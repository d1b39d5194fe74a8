"""Settings for bench/lists.py only: the product's settings, plus the bare views under /bare/ and a
response header with the number of SQL queries each request ran (bench/bare.py). Never served by
the product: only the benchmark names this module (DJANGO_SETTINGS_MODULE=bench.bare_settings)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare"
MIDDLEWARE = ["bench.bare.QueryCountMiddleware", *MIDDLEWARE]  # noqa: F405
