"""Starts pz-emulator for the boto3 conformance suite and gives each test a clean state."""

import json
import os
import pathlib
import subprocess
import urllib.request

import boto3
import pytest
from botocore.config import Config

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BINARY = os.environ.get("PZ_EMULATOR_BIN", str(ROOT / "target" / "debug" / "pz-emulator"))


@pytest.fixture(scope="session")
def endpoint():
    process = subprocess.Popen(
        [BINARY, "--port", "0", "--seed", str(HERE / "seed.yaml"), "--transition-seconds", "0.6"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("pz-emulator listening on "), line
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def control(endpoint, path, body=None, method="POST"):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint}/_pz-emulator/{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture
def emulator(endpoint):
    control(endpoint, "reset")
    return endpoint


def make_client(endpoint, attempts=1, region="us-east-1"):
    return boto3.client(
        "personalize",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "max_attempts": attempts}),
    )


def boto3_client_with_read_timeout(endpoint, seconds):
    """A client that gives up on an answer after `seconds` and retries, as botocore does by default."""
    return boto3.client(
        "personalize",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=Config(read_timeout=seconds, connect_timeout=1, retries={"mode": "standard", "max_attempts": 3}),
    )


@pytest.fixture
def client(emulator):
    return make_client(emulator)
