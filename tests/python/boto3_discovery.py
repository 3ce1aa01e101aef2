"""boto3's view of the emulator's catalogue: ListFoundationModels and every
page of ListInferenceProfiles, parsed by botocore from the Bedrock service
model. Prints one JSON object; `tests/tests/discovery.rs` applies the
discovery rules to it and compares with what the component returns.

usage: boto3_discovery.py ENDPOINT
"""

import json
import sys

import boto3

client = boto3.client(
    "bedrock",
    region_name="us-east-1",
    endpoint_url=sys.argv[1],
    aws_access_key_id="AKIDEXAMPLE",
    aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
)

models = client.list_foundation_models()["modelSummaries"]
profiles = []
for page in client.get_paginator("list_inference_profiles").paginate():
    profiles.extend(page["inferenceProfileSummaries"])

print(json.dumps({"models": models, "profiles": profiles}, default=str))
