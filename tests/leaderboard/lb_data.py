"""Constants the leaderboard fixtures are built from, which tests check against."""

from urllib.parse import quote

PAYLOAD = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
EVIL = "mock:evil?text=" + quote(PAYLOAD)
LLM_JUDGE = "llm-judge"
RATINGS = {
    "alice": ["first", "second", "tie", "first", "both_bad", "second"],
    "bob": ["first", "first", "tie", "second", "second", "second"],
}
