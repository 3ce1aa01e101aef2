"""Checks recorded ConverseStream request bodies against botocore's service model.

The emulator writes every ConverseStream body it receives into a folder when
BEDROCK_EMULATOR_RECORD_BODIES is set (scripts/test.sh sets it for the whole
suite): one JSON file each, {"modelId": ..., "body": "<the body as sent>"}.
The plugin builds its request JSON by hand, so a field misnamed, misplaced or
of the wrong type would only show against real Bedrock, which the tests cannot
reach. AWS's own service model, as botocore ships it, is the reference here:
each body is turned back into botocore parameters (the wire form's base64
blobs decoded, walking the input shape) and put through botocore's parameter
validation, which rejects unknown members, missing required ones, wrong types,
values below their minimum and union blocks with other than one member.

Bodies containing SKIP_MARKER are skipped: tests that send invalid requests on
purpose (the emulator's own validation tests) put it in the conversation.

Usage: validate_converse_bodies.py DIR. Exits 1 on any failure, naming the
file, and when DIR holds no bodies at all (the recording did not happen, so
nothing was checked).
"""

import base64
import json
import pathlib
import sys

import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

SKIP_MARKER = "[validator skip]"


def to_params(value, shape):
    """The wire JSON `value` of `shape` as the parameters botocore validates."""
    if getattr(shape, "is_document_type", False):
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            member = shape.members.get(key)
            # An unknown member is passed through for the validator to report.
            out[key] = item if member is None else to_params(item, member)
        return out
    if kind == "list" and isinstance(value, list):
        return [to_params(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: to_params(v, shape.value) for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            return value  # not base64: left as text for the validator to refuse
    return value


def check(path, input_shape):
    """A list of problems with one recorded body; empty when it is valid."""
    record = json.loads(path.read_text())
    raw = record["body"]
    if SKIP_MARKER in raw:
        return None
    try:
        body = json.loads(raw)
    except ValueError as e:
        return [f"the body is not JSON: {e}"]
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    params = to_params(body, input_shape)
    params["modelId"] = record["modelId"]
    try:
        validate_parameters(params, input_shape)
    except ParamValidationError as e:
        return [line for line in str(e).splitlines() if line.strip()]
    return []


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: validate_converse_bodies.py DIR", file=sys.stderr)
        return 2
    folder = pathlib.Path(argv[1])
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        print(f"error: no recorded ConverseStream bodies in {folder}", file=sys.stderr)
        return 1
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    input_shape = model.operation_model("ConverseStream").input_shape
    failures = checked = skipped = 0
    for path in files:
        problems = check(path, input_shape)
        if problems is None:
            skipped += 1
            continue
        checked += 1
        if problems:
            failures += 1
            print(f"{path.name}:", file=sys.stderr)
            for problem in problems:
                print(f"    {problem}", file=sys.stderr)
    print(
        f"validate_converse_bodies: {checked} bodies checked against botocore's ConverseStream "
        f"input shape, {failures} invalid, {skipped} skipped ({SKIP_MARKER})"
    )
    if checked == 0:
        print("error: every recorded body was skipped: nothing was checked", file=sys.stderr)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
