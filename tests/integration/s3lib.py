"""s3rver (an independent S3 implementation from the npm registry, installed into build/test-tools
by ./setup.sh test) run on loopback, and Debian's boto3 to read what was stored."""
import os
import subprocess
import sys

from testlib import missing, wait_until

try:
    import boto3
    from botocore.config import Config
except ImportError:
    print(missing("python3-boto3 (apt-get install python3-boto3)"))
    sys.exit(0)

ACCESS_KEY = SECRET_KEY = "S3RVER"  # s3rver's fixed credentials


class S3rver:
    """One s3rver on 127.0.0.1:`port` keeping its objects under `work`/s3, with `bucket`."""

    def __init__(self, repo, work, port, bucket):
        self.script = os.path.join(repo, "build", "test-tools", "node_modules", "s3rver", "bin",
                                   "s3rver.js")
        if not os.path.exists(self.script):
            print(missing(f"s3rver ({self.script}: ./setup.sh test installs it)"))
            sys.exit(0)
        self.work, self.port, self.bucket = work, port, bucket
        self.endpoint = f"http://127.0.0.1:{port}"
        self.process = None

    def start(self):
        env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")  # its paged listings
        self.process = subprocess.Popen(
            ["node", self.script, "-d", os.path.join(self.work, "s3"), "-a", "127.0.0.1",
             "-p", str(self.port), "--silent", "--configure-bucket", self.bucket],
            env=env, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.work, "s3rver.log"), "a"))
        wait_until(lambda: self.keys() is not None, 30)
        return self

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"},
                                          signature_version="s3v4", retries={"max_attempts": 1}))

    def keys(self, prefix=""):
        """{key: size} of every object under `prefix`; None while the store does not answer."""
        try:
            out = {}
            pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                            Prefix=prefix)
            for page in pages:
                for o in page.get("Contents", []):
                    out[o["Key"]] = o["Size"]
            return out
        except Exception:
            return None

    def get(self, key):
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
