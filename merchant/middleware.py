"""Chinese first on the merchant pages (§11): zh-hans unless the user picked English with the
language switch. The browser's Accept-Language is not consulted there, so a merchant whose
browser happens to be set to English still starts in Chinese; the API and the admin keep
Django's usual negotiation (API clients ask for their language)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from config import errors

MERCHANT_PREFIX = "/merchant/"


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if not request.path_info.startswith(MERCHANT_PREFIX):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and translation.check_for_language(chosen):
            language = translation.get_supported_language_variant(chosen)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ProductErrorPagesMiddleware:
    """A 404 or 403 that a merchant view raises is answered with the product's own page (the
    handlers of config/urls.py), also with DEBUG on, where Django would show its technical
    page: staff running the demo see what merchants see."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path_info.startswith(MERCHANT_PREFIX):
            return None
        if isinstance(exception, Http404):
            return errors.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return errors.permission_denied(request, exception)
        return None
