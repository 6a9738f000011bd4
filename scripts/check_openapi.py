"""`make test`'s check of infra/openapi.yaml: a valid OpenAPI 3.1 document
(openapi-spec-validator), and every example in it valid against its schema
(openapi-schema-validator), so an example cannot drift from the contract.
Exits non-zero naming each problem.

    check_openapi.py [PATH]    default infra/openapi.yaml
"""

import sys

from openapi_schema_validator import OAS31Validator
import yaml
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012



class StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key twice in one mapping, which PyYAML would
    silently let the last one win (and serde_yaml, in the tests, refuses)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        twice = {k for k in keys if keys.count(k) > 1}
        if twice:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {sorted(twice)}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


path = sys.argv[1] if len(sys.argv) > 1 else "infra/openapi.yaml"
with open(path, encoding="utf-8") as f:
    spec = yaml.load(f, Loader=StrictLoader)
validate(spec)

# Each schema is checked in place, so its `#/components/...` references
# resolve against the document.
BASE = "urn:roster:openapi"
registry = Registry().with_resource(BASE, Resource.from_contents(spec, default_specification=DRAFT202012))
problems = []


def pointer(keys):
    return "/".join(str(k).replace("~", "~0").replace("/", "~1") for k in keys)


def check(keys, example):
    where = "#/" + pointer(keys)
    schema = {"$ref": f"{BASE}#/{pointer(keys + ['schema'])}"}
    validator = OAS31Validator(schema, registry=registry, format_checker=OAS31Validator.FORMAT_CHECKER)
    for error in validator.iter_errors(example):
        problems.append(f"{where}: {error.message} (at /{'/'.join(map(str, error.absolute_path))})")


def walk(node, keys):
    if isinstance(node, dict):
        if "schema" in node and "example" in node:
            check(keys, node["example"])
        for key, value in node.items():
            walk(value, keys + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            walk(value, keys + [i])


walk(spec, [])
if problems:
    print(f"{path}: {len(problems)} example(s) do not match their schema:", *problems, sep="\n  ")
    sys.exit(1)
print(f"{path}: valid OpenAPI 3.1; every example matches its schema")
