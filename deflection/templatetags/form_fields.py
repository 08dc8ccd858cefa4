"""`{{ form.name|bootstrap_field }}`: a form field in Bootstrap 5's markup (its label, its
control, its errors, its help), written in Python: the markup crispy-forms' `as_crispy_field`
writes for a single control (text, number, date and time, textarea, select). Radio buttons,
checkboxes and any widget with a template of its own go to crispy-forms as before.

Why: crispy-forms draws a field through about ten nested templates and Django's widgets
through three more. The officer's home, the page an officer opens on every shift, has fifteen
such fields, and those templates were most of its time (benchmarks/log_deflection.py).
tests/test_form_fields.py holds the two to the same markup.
"""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from deflection.markup import format_html, format_html_join
from partners.models import ServicePartner

register = template.Library()

# Django's widget templates that are the plain <input> (input.html with a type), and the two others drawn here.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel")
)
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def drawn_here(widget: forms.Widget) -> bool:
    """Whether the widget is one of those this module draws (else crispy-forms does)."""
    if isinstance(widget, forms.Select):
        return widget.template_name == SELECT_TEMPLATE and widget.option_template_name == OPTION_TEMPLATE
    return widget.template_name in INPUT_TEMPLATES or widget.template_name == TEXTAREA_TEMPLATE


def _attrs(attrs: dict) -> SafeString:
    """As django/forms/widgets/attrs.html: `name="value"`, a bare name for True, nothing for False."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value)),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _option(option: dict) -> SafeString:
    return format_html(
        '<option value="{}"{}>{}</option>', str(option["value"]), _attrs(option["attrs"]), option["label"]
    )


def _widget(widget: forms.Widget, context: dict) -> SafeString:
    """The control, as Django's templates for the widget write it (whitespace aside)."""
    attrs = _attrs(context["attrs"])
    if isinstance(widget, forms.Select):
        groups = []
        for name, options, _index in context["optgroups"]:
            drawn = format_html_join("", "{}", ((_option(o),) for o in options))
            groups.append(format_html('<optgroup label="{}">{}</optgroup>', name, drawn) if name else drawn)
        drawn = format_html_join("", "{}", ((group,) for group in groups))
        return format_html('<select name="{}"{}>{}</select>', context["name"], attrs, drawn)
    if widget.template_name == TEXTAREA_TEMPLATE:
        return format_html('<textarea name="{}"{}>\n{}</textarea>', context["name"], attrs, context["value"] or "")
    value = context["value"]
    shown = format_html(' value="{}"', str(value)) if value is not None else ""
    return format_html('<input type="{}" name="{}"{}{}>', context["type"], context["name"], shown, attrs)


def _control(field: BoundField) -> SafeString:
    """The widget with the classes, ids and ARIA attributes crispy-forms and Django give it."""
    widget = field.field.widget
    # crispy-forms: the widget's own classes, its kind ("textinput"), then Bootstrap's.
    kind = widget.__class__.__name__.lower()
    classes = widget.attrs.get("class", "").split()
    if kind not in classes:
        classes.append(kind)
    classes.append("form-select" if isinstance(widget, forms.Select) else "form-control")
    if field.errors:
        classes.append("is-invalid")
    attrs = field.build_widget_attrs({"class": " ".join(classes)}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    return _widget(widget, context)


@register.filter
def control(field: BoundField) -> SafeString:
    """The field's control alone, as `{{ form.name }}` draws it (a hidden field, say)."""
    widget = field.field.widget
    if not drawn_here(widget):
        return field.as_widget()
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    return _widget(widget, widget.get_context(field.html_name, field.value(), attrs)["widget"])


@register.filter
def bootstrap_field(field: BoundField) -> SafeString:
    """The field in its Bootstrap 5 group, as crispy-forms' as_crispy_field would draw it."""
    widget = field.field.widget
    if not drawn_here(widget) or field.is_hidden:
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

        return as_crispy_field(field)
    required = field.field.required
    label = ""
    if field.label:
        label = format_html(
            '<label for="{}" class="form-label{}">{}{}</label>',
            field.id_for_label,
            " requiredField" if required else "",
            field.label,
            mark_safe('<span class="asteriskField">*</span>') if required else "",
        )
    errors = ""
    if field.errors:
        lines = format_html_join(
            "",
            '<p id="error_{}_{}"><strong>{}</strong></p>',
            ((n, field.auto_id, error) for n, error in enumerate(field.errors, start=1)),
        )
        errors = format_html('<div id="{}_error" class="invalid-feedback">{}</div>', field.auto_id, lines)
    help_text = ""
    if field.help_text:
        # As crispy-forms (`|safe`): help text is the form's own words, never what a user typed.
        words = mark_safe(field.help_text)  # noqa: S308
        help_text = format_html('<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, words)
    classes = " ".join(("mb-3", field.css_classes())).strip()
    return format_html(
        '<div id="div_{}" class="{}">{}{}{}{}</div>', field.auto_id, classes, label, _control(field), errors, help_text
    )


@register.simple_tag
def chips(field: BoundField, *, grid: bool = False, heading: bool = False) -> SafeString:
    """A choice field (radio buttons, or checkboxes for several) as chips that wrap: each a
    real radio or checkbox with its label, the whole chip its tap target (at least 44 by 44
    px, app.css). The tick, not only the colour, shows the pick. `heading`: the legend is the
    section's heading; `grid`: the chips line up in columns."""
    kind = "checkbox" if field.field.widget.allow_multiple_selected else "radio"
    invalid = bool(field.errors)
    boxes = format_html_join(
        "",
        '<div class="form-check"><input class="form-check-input{}" type="{}" name="{}" id="{}" value="{}"{}{}> '
        '<label class="form-check-label" for="{}">{}</label></div>',
        (
            (
                " is-invalid" if invalid else "",
                kind,
                field.html_name,
                choice.id_for_label,
                str(choice.data["value"]),
                mark_safe(" checked") if choice.data["selected"] else "",
                mark_safe(' aria-invalid="true"') if invalid else "",
                choice.id_for_label,
                choice.choice_label,
            )
            for choice in field.subwidgets
        ),
    )
    error = format_html('<div class="field-error" id="{}_error">{}</div>', field.auto_id, " ".join(field.errors))
    return format_html(
        '<fieldset class="choice-list log-chips{} mb-3" id="div_{}"{}>'
        '<legend class="{} mb-1">{}{}</legend>{}<div class="log-chip-row">{}</div></fieldset>',
        " log-chips-grid" if grid else "",
        field.auto_id,
        format_html(' aria-describedby="{}_error"', field.auto_id) if invalid else "",
        "h5" if heading else "form-label fs-6 fw-semibold",
        field.label,
        mark_safe('<span class="asteriskField">*</span>') if field.field.required else "",
        error if invalid else "",
        boxes,
    )


@register.simple_tag
def partner_choices(field: BoundField, partners: list) -> SafeString:
    """The partners as radio buttons, each with its name, whether it is open 24/7, its kind
    and, when not open to referrals as usual, its capacity."""
    picked = str(field.value() or "")
    invalid = bool(field.errors)
    open_24_7 = format_html(' <span class="badge text-bg-success badge-24-7">{}</span>', gettext("Open 24/7"))
    return format_html_join(
        "",
        '<div class="form-check"><input class="form-check-input{}" type="radio" name="{}" id="{}_{}" value="{}"{}{}> '
        '<label class="form-check-label" for="{}_{}"><span class="fw-semibold">{}</span>{} '
        '<span class="d-block small text-body-secondary">{}{}</span></label></div>',
        (
            (
                " is-invalid" if invalid else "",
                field.html_name,
                field.auto_id,
                p.pk,
                p.pk,
                mark_safe(" checked") if picked == str(p.pk) else "",
                mark_safe(' aria-invalid="true"') if invalid else "",
                field.auto_id,
                p.pk,
                p.name,
                open_24_7 if p.is_24_7 else "",
                # The enum's label, not get_kind_display(): that builds and translates the
                # field's every choice on each call, a tenth of the page's time for 8 partners.
                ServicePartner.Kind(p.kind).label,
                format_html(" · <strong>{}</strong>", ServicePartner.Capacity(p.capacity_status).label)
                if p.capacity_status != "open"
                else "",
            )
            for p in partners
        ),
    )
