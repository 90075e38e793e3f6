from django.apps import AppConfig


class MerchantConfig(AppConfig):
    """The merchant pages (§11): views, forms and templates over the tickets' and complaints'
    services and selectors. No models; nothing in the domain apps imports it."""

    name = "merchant"
