"""What a run cost in USD, from the genai-prices table (Pydantic's, updated with each release of the package).

The table ships inside the package and is read from there: we never start its `UpdatePrices` fetcher, so no price is
fetched at run time; a newer table arrives by pinning a newer genai-prices. A model the table does not list (an Ollama
model, a fine-tune, a local OpenAI-compatible server) has no cost (None), never a guessed one.
"""

from datetime import datetime
from decimal import Decimal

import genai_prices

from data.tables import Provider

# our providers by the table's names; Ollama runs models on hardware we cannot price
_TABLE_PROVIDER = {Provider.OPENAI: 'openai', Provider.ANTHROPIC: 'anthropic'}


def cost_usd(
    *, provider: str, model: str, input_tokens: int | None, output_tokens: int | None, at: datetime | None = None
) -> Decimal | None:
    """The price of one call (None when the model or the token counts are unknown); `at` picks the price then in force."""
    table_provider = _TABLE_PROVIDER.get(provider)
    if table_provider is None or input_tokens is None or output_tokens is None:
        return None
    usage = genai_prices.Usage(input_tokens=input_tokens, output_tokens=output_tokens)
    try:
        price = genai_prices.calc_price(usage, model, provider_id=table_provider, genai_request_timestamp=at)
    except LookupError:  # the table does not list this model
        return None
    return price.total_price
