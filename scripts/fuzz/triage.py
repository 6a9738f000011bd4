"""`make fuzz`'s verdict, from Schemathesis's JUnit reports: each failure is
Roster's, or the local emulator's own, which API Gateway would not produce,
or one false positive of Schemathesis's (`FALSE_POSITIVE` below):

- `cargo lambda watch` answers a body that is not UTF-8 with its own `500`
  (`"type":"https://httpstatuses.com/500"`) before Roster runs; API Gateway
  hands such a body over base64-encoded, and Roster answers `400`
  (tests/it/malformed.rs);
- its router answers a method a path does not list with its own `404`
  (`Default function disabled`); API Gateway's `$default` route hands it to
  Roster, which answers `405` with `Allow` (tests/it/malformed.rs).

Prints the counts and each of Roster's failures; exits 1 when there is any
(or any error), 0 otherwise.

    triage.py REPORT.xml...
"""

import re
import sys
import xml.etree.ElementTree as ET

EMULATOR = {
    "the emulator's 500 for a body that is not UTF-8": '"type":"https://httpstatuses.com/500"',
    "the emulator's router: 404 for a method the path does not list": "Default function disabled",
}

# Schemathesis cannot check a custom format, so it takes any string for one
# that breaks `format: name` (schemathesis/specs/openapi/negative: custom
# formats are "always invalid"): a name it sends as "invalid" may be a name,
# which Roster rightly takes. Only a case whose one broken rule is that.
NAME_FORMAT = re.compile(r"Invalid component: in body - violates `format` at /(?:properties/\w+/)*properties/"
                         r"(?:first_name|last_name|title|name|display_name)\n")
FALSE_POSITIVE = "Schemathesis's: a 'name' that breaks only `format: name`, which it cannot check"

roster, emulator, errors = [], {k: 0 for k in [*EMULATOR, FALSE_POSITIVE]}, []
for path in sys.argv[1:]:
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError) as e:
        errors.append(f"{path}: no report ({e})")
        continue
    for case in tree.iter("testcase"):
        for kind in ("failure", "error"):
            for node in case.iter(kind):
                # The text holds the test cases; the message only their codes.
                text = node.text or node.get("message") or ""
                # One element may hold several test cases, each numbered.
                for part in re.split(r"\n(?=\d+\. Test Case ID)", text) or [text]:
                    if not part.strip():
                        continue
                    why = next((k for k, marker in EMULATOR.items() if marker in part), None)
                    if why is None and "ST201" in part and NAME_FORMAT.search(part):
                        why = FALSE_POSITIVE
                    if why:
                        emulator[why] += 1
                    elif kind == "error":
                        errors.append(f"{case.get('name')}: {part.strip()[:400]}")
                    else:
                        roster.append(f"{case.get('name')}: {part.strip()[:1500]}")

print("== make fuzz: triage ==")
for why, n in emulator.items():
    print(f"  {n:4d}  {why}")
print(f"  {len(roster):4d}  Roster's failures")
print(f"  {len(errors):4d}  errors")
for line in roster + errors:
    print("\n--- " + line)
sys.exit(1 if roster or errors else 0)
