"""Chinese first on the merchant pages (§11): zh-hans unless the user picked English with the
language switch. The browser's Accept-Language is not consulted there, so a merchant whose
browser happens to be set to English still starts in Chinese; the API and the admin keep
Django's usual negotiation (API clients ask for their language)."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

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
