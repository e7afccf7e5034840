"""The OpenAI-compatible app, mounted at /api/v1/openai: its own errors (OpenAI's shape) and its own OpenAPI."""

from fastapi import FastAPI

from api import docs
from api.openai_compat import errors, routes

openai_api = FastAPI(
    title='Hypersigil OpenAI-compatible API',
    version='1.0.0',
    description='`openai.OpenAI(base_url="<host>/api/v1/openai", api_key="hs_…")`: `model` is a deployment name.',
    openapi_url='/openapi.json',
    docs_url=None,  # api/docs.py serves them, with Swagger UI's files from our own process
    redoc_url=None,
)
errors.install(openai_api)
docs.install(openai_api)
openai_api.include_router(routes.router)
