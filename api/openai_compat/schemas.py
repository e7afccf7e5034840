"""The chat-completion request as OpenAI's SDKs send it; fields we do not use are accepted and ignored, as OpenAI-
compatible servers do (frameworks send `max_tokens`, `user`, `tools`... by default)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra='ignore')

    role: str = Field(max_length=50)
    # checked in core (which names `messages[i].content`): text, or a list of `{"type": "text", "text": ...}` parts
    content: Any = Field(default=None, description='text, or a list of text parts')


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra='ignore')

    include_usage: bool = Field(default=False, description='a last chunk with the usage and no choices')


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra='ignore')

    model: str = Field(min_length=1, max_length=100, description='the deployment to run, by name')
    messages: list[ChatMessage] = Field(min_length=1, description="the last `user` message is the run's userInput")
    variables: dict[str, Any] | None = Field(default=None, description="the template's variables (SDK: `extra_body`)")
    trace_id: str | None = Field(default=None, alias='traceId', description="the run's trace id (SDK: `extra_body`)")
    temperature: float | None = Field(default=None, description="overrides the deployment's, for this call (0 to 1)")
    top_p: float | None = Field(default=None, description="overrides the deployment's topP, for this call (0 to 1)")
    max_tokens: int | None = Field(default=None, description="overrides the deployment's maxTokens, for this call")
    max_completion_tokens: int | None = Field(default=None, description='the same as max_tokens (wins over it)')
    stream: bool = Field(default=False, description='`chat.completion.chunk` server-sent events, then `[DONE]`')
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, ge=1, le=1, description='one choice per call')
