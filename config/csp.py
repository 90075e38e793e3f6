"""django-csp's middleware with the policy of a plain response built once: django-csp 4 builds
the header string from the settings on every response. A response that asks nothing of its own
(no csp_* decorator, no nonce used: every API answer, most pages) gets the same header, so it is
built once per settings and reused. Anything else goes through django-csp unchanged."""

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view or decorator may set on a response to change its policy (django-csp 4).
RESPONSE_PARTS = tuple(
    f"_csp_{part}{suffix}"
    for part in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)
_plain = {}


def plain_policy() -> str | None:
    """The header of a plain response, or None where django-csp must judge each response (a
    report-only policy, excluded URL prefixes)."""
    if "header" not in _plain:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        simple = not policy.get("EXCLUDE_URL_PREFIXES") and not getattr(
            settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None
        )
        _plain["header"] = (build_policy() or None) if simple else None
    return _plain["header"]


@receiver(setting_changed)
def _forget(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _plain.clear()


class PlainPolicyCSPMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        header = plain_policy()
        if (
            header is None
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in RESPONSE_PARTS)
            or HEADER in response
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        response[HEADER] = header
        # As django-csp: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
