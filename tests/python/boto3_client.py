"""A real AWS client against the emulator: boto3's ConverseStream.

botocore signs with its own SigV4 signer and parses the reply with its own
event-stream parser, so a clean run proves the emulator speaks Bedrock's wire
format as AWS's SDKs read it. Prints one JSON summary per scenario on stdout;
the Rust test `tests/tests/real_clients.rs` runs it and checks the summaries.

usage: boto3_client.py ENDPOINT
"""

import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def client(endpoint, secret=SECRET_KEY):
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def converse(c, prompt, model=MODEL, **extra):
    summary = {"events": [], "text": "", "stop_reason": None, "usage": None}
    try:
        response = c.converse_stream(
            modelId=model,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            **extra,
        )
        for event in response["stream"]:
            (name, body), = event.items()
            summary["events"].append(name)
            if name == "contentBlockDelta":
                summary["text"] += body["delta"].get("text", "")
            elif name == "messageStop":
                summary["stop_reason"] = body["stopReason"]
            elif name == "metadata":
                summary["usage"] = body["usage"]
    except EventStreamError as e:
        summary["error"] = e.response["Error"]["Code"]
    except ClientError as e:
        summary["error"] = e.response["Error"]["Code"]
        summary["status"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
    return summary


def main():
    endpoint = sys.argv[1]
    c = client(endpoint)
    scenarios = {
        "text": converse(c, "Hello there"),
        "colon_model": converse(c, "Hi", model="amazon.nova-lite-v1:0"),
        "arn_model": converse(
            c,
            "Hi",
            model="arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
        ),
        "max_tokens": converse(c, "Hi", inferenceConfig={"maxTokens": 5}),
        "wrong_secret": converse(client(endpoint, secret="wrong" + SECRET_KEY[5:]), "Hi"),
        "throttled": converse(c, "[emulator status=429]"),
        "in_stream_exception": converse(c, "[emulator exception=modelStreamErrorException]"),
    }
    for name, summary in scenarios.items():
        print(json.dumps({"scenario": name, **summary}))


if __name__ == "__main__":
    main()
