"""Checks HTTP exchanges against the routes contract (backend/openapi.yaml).

Reads JSON lines on standard input, each one request or one answer:

    {"method": "post", "path": "/signin", "request": {...}}
    {"method": "post", "path": "/signin", "status": 200, "response": {...}}

and prints one line per departure from the document: an undocumented route,
method or status, or a body its schema refuses. Exits 1 when it printed any.
"""

import json
import sys

import jsonschema_rs
import yaml


def resolve(node, document):
    """The schema `node` with every local `$ref` replaced by its target."""
    if isinstance(node, list):
        return [resolve(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        rest = {key: value for key, value in node.items() if key != "$ref"}
        return resolve({**target, **rest}, document)
    return {key: resolve(value, document) for key, value in node.items()}


def answer_schema(responses, status):
    """The documented answer for `status`: exact, then its class (`4XX`)."""
    for key in (str(status), f"{str(status)[0]}XX"):
        if key in responses:
            return responses[key]
    return None


def problems(document, exchange):
    where = f"{exchange['method'].upper()} {exchange['path']}"
    operation = document["paths"].get(exchange["path"], {}).get(exchange["method"])
    if operation is None:
        return [f"{where}: not in the document"]
    if "request" in exchange:
        body = operation.get("requestBody")
        if body is None:
            return [f"{where}: the document says it has no body"]
        schema = body["content"]["application/json"]["schema"]
        instance, what = exchange["request"], "request"
    else:
        documented = answer_schema(operation["responses"], exchange["status"])
        if documented is None:
            return [f"{where}: status {exchange['status']} is not documented"]
        schema = documented["content"]["application/json"]["schema"]
        instance, what = exchange["response"], f"answer {exchange['status']}"
    validator = jsonschema_rs.Draft202012Validator(schema)
    return [
        f"{where}: {what}: {error.message} at /{'/'.join(map(str, error.instance_path))}"
        for error in validator.iter_errors(instance)
    ]


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        document = yaml.safe_load(file)
    document = resolve(document, document)
    found = []
    for line in sys.stdin:
        if line.strip():
            found += problems(document, json.loads(line))
    for problem in found:
        print(problem)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
