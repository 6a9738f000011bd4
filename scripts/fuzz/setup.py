"""`make fuzz`'s accounts: a director of a practice, signed in with a
verified email, and a second verified account for the operations that end
or lock their session. Prints `<director token> <practice id> <spare token>`.

    setup.py API_URL MAIL_DIR
"""

import json
import pathlib
import re
import sys
import time
import urllib.error
import urllib.request

import yaml

API, MAIL_DIR = sys.argv[1], pathlib.Path(sys.argv[2])
PASSWORD = "fuzz director password"


def call(method, path, body=None, token=None):
    req = urllib.request.Request(API + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    # The first request to a function waits for `cargo lambda watch` to start it.
    with urllib.request.urlopen(req, timeout=300) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


def verified_account(email):
    token = call("POST", "/auth/signup",
                 {"email": email, "password": PASSWORD, "first_name": "Fuzz", "last_name": "Director"})["session"]["token"]
    for _ in range(100):
        for mail in MAIL_DIR.glob("*.json"):
            m = json.loads(mail.read_text())
            link = re.search(r"/verify-email/([A-Za-z0-9_-]+)", m.get("text", ""))
            if m.get("to") == email and link:
                call("POST", "/auth/verify-email", {"token": link.group(1)})
                return token
        time.sleep(0.1)
    sys.exit(f"no verification mail to {email} in {MAIL_DIR}")


def warm_every_function(token):
    """One request to each function, so that no fuzzed request waits for
    `cargo lambda watch` to start one (a wait Schemathesis counts as slow)."""
    seen = set()
    for path, item in yaml.safe_load(pathlib.Path("infra/openapi.yaml").read_text())["paths"].items():
        for method, op in item.items():
            function = op.get("x-roster-function") if isinstance(op, dict) else None
            if function and function not in seen:
                seen.add(function)
                try:
                    call(method.upper(), re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path), token=token)
                except urllib.error.HTTPError:
                    pass  # Any answer will do: the function is up.


director = verified_account("director@fuzz.example")
practice = call("POST", "/practices", {"name": "Fuzz Clinic", "location": {"name": "Main St"}}, director)
spare = verified_account("spare@fuzz.example")
warm_every_function(director)
print(director, practice["id"], spare)
