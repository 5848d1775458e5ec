"""The "llm" readiness check (registered with core.health by AssistantConfig.ready)."""

from __future__ import annotations

from core.health import HealthCheckFailed

from . import llm_configuration_status


def check_llm_configuration() -> str:
    """What will answer: the configured LLM chain, or the offline responder. Reads settings only —
    no request to the provider and no tokens spent (the old service's probe paid for a completion)."""
    status = llm_configuration_status()
    broken = [p["alias"] for p in status.get("providers", []) if not p["backend_importable"]]
    if broken:
        raise HealthCheckFailed(f"LLM backend cannot be imported: {', '.join(broken)}")
    if status["mode"] == "offline":
        return "offline responder (no LLM configured)"
    models = {p["alias"]: p["model"] for p in status.get("providers", [])}
    return "llm: " + " -> ".join(f"{alias} ({models.get(alias, '?')})" for alias in status["chain"])
