#!/usr/bin/env python3
"""Validates Kubernetes manifests against the API types of the official Python client.

  k8s_validate.py FILE.yaml...

The client's models are generated from the Kubernetes OpenAPI schema: each knows its fields
(attribute_map), their types (openapi_types) and, in its constructor, which are required. Every
document is walked strictly: unknown fields, wrong types and missing required fields are errors,
as with `kubectl apply --validate=strict`. Prints "FILE: KIND/NAME: ok" or one line per error;
exits 1 on any error.
"""
import re
import sys

import kubernetes.client as k8s
import yaml

PRIMITIVES = {"str": str, "bool": bool, "float": (int, float), "datetime": str, "date": str}


def model_for(api_version, kind):
    version = api_version.split("/")[-1]
    return getattr(k8s, version[0].upper() + version[1:] + kind, None)


def walk(value, type_name, path, errors):
    if type_name == "object":  # IntOrString, RawExtension and the like
        return
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append("%s: %r is not an integer" % (path, value))
        return
    if type_name in PRIMITIVES:
        if not isinstance(value, PRIMITIVES[type_name]) or (type_name != "bool" and isinstance(value, bool)):
            errors.append("%s: %r is not a %s" % (path, value, type_name))
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append("%s: expected a list" % path)
            return
        for i, item in enumerate(value):
            walk(item, m.group(1), "%s[%d]" % (path, i), errors)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append("%s: expected a map" % path)
            return
        for key, item in value.items():
            walk(item, m.group(1), "%s.%s" % (path, key), errors)
        return
    cls = getattr(k8s, type_name, None)
    if cls is None:
        errors.append("%s: unknown type %s in the client" % (path, type_name))
        return
    if not isinstance(value, dict):
        errors.append("%s: expected an object (%s)" % (path, type_name))
        return
    by_json = {json_name: py_name for py_name, json_name in cls.attribute_map.items()}
    kwargs = {}
    for key, item in value.items():
        if key not in by_json:
            errors.append("%s: unknown field %r in %s" % (path, key, type_name))
            continue
        walk(item, cls.openapi_types[by_json[key]], "%s.%s" % (path, key), errors)
        kwargs[by_json[key]] = item
    # The generated constructors reject a missing required field (and invalid enum values).
    try:
        cls(**kwargs)
    except ValueError as e:
        errors.append("%s: %s" % (path, e))


def main(paths):
    failed = False
    for path in paths:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        if not docs:
            print("%s: no document" % path)
            failed = True
        for doc in docs:
            errors = []
            if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
                print("%s: a document without apiVersion and kind" % path)
                failed = True
                continue
            cls = model_for(doc["apiVersion"], doc["kind"])
            name = "%s/%s" % (doc["kind"], (doc.get("metadata") or {}).get("name", "?"))
            if cls is None:
                errors.append("unknown apiVersion/kind %s %s" % (doc["apiVersion"], doc["kind"]))
            else:
                walk(doc, cls.__name__, name, errors)
                if not (doc.get("metadata") or {}).get("name"):
                    errors.append("metadata.name is missing")
            for e in errors:
                print("%s: %s" % (path, e))
            if not errors:
                print("%s: %s: ok" % (path, name))
            failed = failed or bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
