"""A real S3-compatible server for the tests: moto in server mode, one Python process on 127.0.0.1."""

import socket
import subprocess
import sys
import time
import uuid

import boto3
from botocore.config import Config

ACCESS_KEY = "xuncha-test"
SECRET_KEY = "xuncha-test-secret"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """`python -m moto.server` on a free port; `stop()` ends it."""

    def __init__(self, timeout: float = 30.0):
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                                   aws_secret_access_key=SECRET_KEY,
                                   config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)

    def env(self, bucket: str) -> dict[str, str]:
        """The settings that point the app at `bucket` on this server."""
        return {"XUNCHA_STORAGE": "s3", "XUNCHA_S3_ENDPOINT_URL": self.endpoint, "XUNCHA_S3_BUCKET": bucket,
                "XUNCHA_S3_REGION": REGION, "XUNCHA_S3_ACCESS_KEY": ACCESS_KEY, "XUNCHA_S3_SECRET_KEY": SECRET_KEY,
                "XUNCHA_S3_PATH_STYLE": "1"}

    def new_bucket(self) -> str:
        name = f"xuncha-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def empty(self, bucket: str) -> None:
        keys = self.keys(bucket)
        for i in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
