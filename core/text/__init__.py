"""Text utilities every app may use (the lowest layer, docs/architecture.md): the six languages and
language tags (`languages`), language detection (`detect`), multilingual vocabulary of manuals and
folding (`lexicon`), and the product's fixed phrases in six languages (`phrases`)."""
