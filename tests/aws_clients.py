"""boto3 clients for a server under test, and AWS's error as a tuple: what the server tests share."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def client(service: str, endpoint_url: str, *, validate: bool = True, region: str = "us-east-1",
           access_key: str = "test") -> Any:
    """A boto3 client of ``service`` at ``endpoint_url`` (one attempt; ``validate=False``: without boto3's own
    parameter checks, as SDKs that check less send), signing for ``region`` with ``access_key``."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key,
                        aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, parameter_validation=validate))


def aws_error(call: Any, **params: Any) -> tuple[int, str, str]:
    """The (HTTP status, error code, message) ``call`` fails with."""
    with pytest.raises(ClientError) as info:
        call(**params)
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]
