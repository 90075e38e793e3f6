"""The API's body parsers: DRF's, refusing with a 400 `parse_error` what would otherwise reach
the code as a 500 (§11): JSON nested deeper than MAX_DEPTH (Python's own parser gives up with a
RecursionError near 1,000 levels), strings holding NUL (PostgreSQL cannot store it) or lone
surrogates (not encodable as UTF-8), in keys or values, JSON or multipart fields."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No body of this API is deeper than 3 levels; 32 leaves room and bounds the walk.
MAX_DEPTH = 32


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800"
        return True
    return False


def check_value(value) -> None:
    """Walk a parsed JSON value (iteratively: the depth is what is being checked)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise ParseError(
                    _("JSON nested deeper than %(depth)d levels is not accepted.")
                    % {"depth": MAX_DEPTH}
                )
            if isinstance(item, dict):
                for key, child in item.items():
                    if _bad_text(key):
                        raise ParseError(_("Null or unpaired surrogate characters in a key."))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and _bad_text(item):
            raise ParseError(_("Null or unpaired surrogate characters are not allowed."))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                _("JSON nested deeper than %(depth)d levels is not accepted.")
                % {"depth": MAX_DEPTH}
            ) from None
        check_value(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_value({key: values for key, values in data.lists()})
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_value({key: values for key, values in result.data.lists()})
        return result
