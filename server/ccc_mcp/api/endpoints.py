"""Which base URL a region's CCC requests go to, apart from the client: a server's start logs it, and
importing the client is left to the first call (docs/architecture.md §4, "Cold start")."""

from __future__ import annotations

__all__ = ["endpoint_for"]

# Regions the official SDK sends to the central endpoint; every other region is ccc.{region}.aliyuncs.com.
_CENTRAL_ENDPOINT_REGIONS = frozenset(
    {
        "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-5", "cn-beijing", "cn-chengdu", "cn-hongkong", "cn-huhehaote", "cn-qingdao",
        "cn-shenzhen", "cn-zhangjiakou", "eu-central-1", "eu-west-1", "me-east-1", "us-east-1",
        "us-west-1", "cn-hangzhou-finance", "cn-shenzhen-finance-1", "cn-shanghai-finance-1",
        "cn-north-2-gov-1",
    }
)  # fmt: skip


def endpoint_for(region: str, override: str | None = None) -> str:
    """Base URL: the explicit override, else the SDK's region rules."""
    if override:
        return override if "://" in override else f"https://{override}"
    if region in _CENTRAL_ENDPOINT_REGIONS:
        return "https://ccc.aliyuncs.com"
    return f"https://ccc.{region}.aliyuncs.com"
