"""``routecore serve --demo``: the embedded default config served from simulated providers, so a
newcomer sees routing, hedging and fallbacks end to end with no keys and no network.

Every model points at an in-process mock provider (testing/mock_provider.py) whose latency
follows the model's configured TTFT; one model has a long tail (hedging wins there) and one
fails a third of its requests (fallbacks take over)."""

from __future__ import annotations

from typing import Any

from routecore.router import Router
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario

LONG_TAIL = "gpt-4o"  # 15% of first tokens take 2.5 s: a hedge to a tier-mate answers first
FLAKY = "llama-3.1-8b-instant"  # a third of requests fail with 503: the fallback chain answers


def scenario_for(name: str, ttft_ms: float) -> Scenario:
    base = Scenario(latency_ms=ttft_ms * 0.3, latency_jitter_ms=ttft_ms * 0.2, ttft_ms=ttft_ms * 0.7,
                    inter_token_ms=15.0, tokens=24,
                    text=f"[simulated {name}] This answer comes from routecore's demo provider; "
                         "routing, hedging and fallbacks are real, the words are not.")
    if name == LONG_TAIL:
        return base.with_(slow_rate=0.15, slow_ms=2500.0)
    if name == FLAKY:
        return base.with_(fault="http_error", status=503, fault_rate=0.33)
    return base


class Demo:
    def __init__(self, seed: int = 7) -> None:
        self.mock = MockProvider(seed=seed)
        self._config: dict[str, Any] = {}

    def __enter__(self) -> Demo:
        self.mock.start()
        cfg = Router().config
        for name, m in cfg["models"].items():
            base = self.mock.url + "/v1"
            m["api_base"] = base
            m.pop("api_key_env", None)  # the simulator needs no key
            self.mock.program(str(m.get("upstream_model") or name), scenario_for(name, float(m["ttft_ms"])))
        self._config = cfg
        return self

    def __exit__(self, *exc: object) -> None:
        self.mock.stop()

    def router(self) -> Router:
        return Router(self._config)

    def banner(self, host: str, port: int) -> str:
        url = f"http://{host}:{port}"
        return (
            f"routecore demo gateway on {url} (simulated providers at {self.mock.url})\n"
            f"  long-tailed model: {LONG_TAIL} (watch hedging)   flaky model: {FLAKY} (watch fallbacks)\n"
            f"  try:  curl -s {url}/v1/chat/completions -H 'content-type: application/json' \\\n"
            "          -d '{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}' -D -\n"
            f"        curl -s {url}/v1/route -d '{{\"messages\":[{{\"role\":\"user\",\"content\":"
            "\"prove that sqrt(2) is irrational\"}]}'\n"
            f"        curl -s {url}/metrics | grep routecore_requests\n"
            "  or point any OpenAI/Anthropic SDK at base_url=" + url + "/v1 (any API key)."
        )
