"""The conversation engine: one chat turn from operator text to a stored, cited reply.

Start at `turn.py` (`run_turn` / `stream_turn`). The pieces, in the order a turn uses them:
`language.py` (which language to answer in), `grounding.py` (retrieval and the sources a reply may
use), `memory.py` (recent turns + running summary), `prompt.py` (the LLM prompt, manual text fenced
as data), `offline.py` (the grounded responder used without an LLM and as the last fallback),
`verify.py` (a generated reply may not state numbers the sources do not contain).
"""
