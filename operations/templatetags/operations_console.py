"""The admin index's operations panel: operations land on the console's figures (§16)."""

from django import template

from operations.console import console_context

register = template.Library()


@register.inclusion_tag("admin/operations/_console.html", takes_context=True)
def operations_panel(context):
    # Workers are pinged on the console page only: the landing page never waits on the broker.
    return console_context(context["request"], ping_workers=False)
