"""Cost of a run from the genai-prices table: known prices, tiers, and no cost for a model it does not list."""

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices

from core.pricing import cost_usd

MILLION = Decimal(1_000_000)


def test_an_openai_run_costs_its_tokens_at_the_listed_prices():
    # gpt-4o in genai-prices 0.2.3: $2.50 per million input tokens, $10 per million output tokens
    expected = 1200 * Decimal('2.5') / MILLION + 350 * Decimal('10') / MILLION
    assert cost_usd(provider='openai', model='gpt-4o', input_tokens=1200, output_tokens=350) == expected == Decimal('0.0065')


def test_a_dated_model_name_finds_its_family_price():
    # gpt-4o-mini: $0.15 / $0.60 per million, also under its dated name
    expected = 10_000 * Decimal('0.15') / MILLION + 2_000 * Decimal('0.6') / MILLION
    assert cost_usd(provider='openai', model='gpt-4o-mini-2024-07-18', input_tokens=10_000, output_tokens=2_000) == expected


def test_an_anthropic_run_past_200k_input_tokens_pays_the_higher_tier():
    # claude-sonnet-4-5: $3 / $15 per million, $6 / $22.50 once the prompt passes 200k tokens
    small = 1000 * Decimal(3) / MILLION + 500 * Decimal(15) / MILLION
    large = 300_000 * Decimal(6) / MILLION + 500 * Decimal('22.5') / MILLION
    assert cost_usd(provider='anthropic', model='claude-sonnet-4-5', input_tokens=1000, output_tokens=500) == small
    assert cost_usd(provider='anthropic', model='claude-sonnet-4-5', input_tokens=300_000, output_tokens=500) == large


def test_models_the_table_does_not_list_have_no_cost():
    assert cost_usd(provider='openai', model='my-finetune-on-vllm', input_tokens=1000, output_tokens=500) is None
    assert cost_usd(provider='anthropic', model='claude-imaginary', input_tokens=1000, output_tokens=500) is None
    assert cost_usd(provider='ollama', model='llama3.2', input_tokens=1000, output_tokens=500) is None


def test_unknown_token_counts_have_no_cost_and_zero_tokens_cost_nothing():
    assert cost_usd(provider='openai', model='gpt-4o', input_tokens=None, output_tokens=10) is None
    assert cost_usd(provider='openai', model='gpt-4o', input_tokens=0, output_tokens=0) == 0


def test_the_price_in_force_at_the_time_of_the_run_is_used():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert cost_usd(provider='openai', model='gpt-4o', input_tokens=1000, output_tokens=0, at=at) == Decimal('0.0025')


def test_prices_come_from_the_bundled_table_not_a_fetch():
    cost_usd(provider='openai', model='gpt-4o', input_tokens=1, output_tokens=1)
    assert genai_prices.data_snapshot.get_snapshot().from_auto_update is False
