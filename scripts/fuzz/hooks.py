"""Schemathesis hooks for `make fuzz` (SCHEMATHESIS_HOOKS=hooks).

`format: name` in infra/openapi.yaml marks the names of people, practices,
locations and roles. Their rules beyond a pattern (a letter or digit, one
script per word, no look-alike letters: shared/domain/src/lookalike.rs)
cannot be written as a JSON Schema pattern, so a valid name is drawn here,
in several scripts, instead of from any string the pattern allows.
"""

import schemathesis
from hypothesis import strategies as st

WORDS = ["Ana", "José", "Zoë", "O'Brien", "Smith-Jones", "Nguyễn", "Łukasz", "Иван", "Петров", "Νίκος",
         "王芳", "山田", "やまだ", "김민준", "محمد", "עברי", "प्रिया", "Hawaiʻi", "Dr", "Clinic", "St. Mary's", "2"]

schemathesis.openapi.format(
    "name",
    st.lists(st.sampled_from(WORDS) | st.from_regex(r"\A[A-Z][a-z]{0,12}\Z"), min_size=1, max_size=3).map(" ".join),
)
