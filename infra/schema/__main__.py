"""`python -m infra.schema` (`make infra-check`): infra/ against the pinned providers' schema."""

from __future__ import annotations

import sys
import time

from infra.schema.check import check
from infra.schema.provider import SchemaError


def main() -> int:
    started = time.monotonic()
    try:
        findings = check()
    except SchemaError as error:
        print(f"infra-check: {error}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding, file=sys.stderr)
    took = time.monotonic() - started
    verdict = f"{len(findings)} finding(s)" if findings else "no finding"
    print(f"infra-check: infra/ against the google provider schemas: {verdict} ({took:.1f} s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
