"""OpenAI-compatible client, embedded vLLM server and model registry."""
