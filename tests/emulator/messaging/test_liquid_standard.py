"""Standard Liquid in templated messages renders with Liquid's semantics (python-liquid), each expected string written
by hand from Liquid's documentation. The renderer before python-liquid blanked every filter but `default`, rendered
every `{% case %}` branch, always rendered `{% unless %}` bodies and dropped `for`, `assign`, `raw`, `comment`."""

from __future__ import annotations

from typing import Any

import pytest
from braze_harness.emulator.messaging.templating import TemplateError, render, template_data

ADA = {"external_id": "ada", "braze_id": "b-1", "attributes": {"first_name": "Ada", "custom": {"plan": "pro", "n": 3}}}
NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z: the scope's clock, for `'now' | date`


def run(text: str, props: dict[str, Any] | None = None) -> str | None:
    return render(text, template_data(ADA, props or {}, {}, now=NOW))


CASES = [
    # filters on a personalization tag and on literals
    ("{{${first_name} | upcase}}", "ADA"),
    ("{{ 'ada' | upcase }}", "ADA"),
    ("{{ 'ADA' | downcase }}", "ada"),
    ("{{ 'ada lovelace' | capitalize }}", "Ada lovelace"),
    ("{{ 3 | plus: 4 }}", "7"),
    ("{{ 10 | minus: 4 }}", "6"),
    ("{{ 3 | times: 4 }}", "12"),
    ("{{ 10 | divided_by: 4 }}", "2"),  # integer division, as Liquid
    ("{{ 10.0 | divided_by: 4 }}", "2.5"),
    ("{{ 10 | modulo: 4 }}", "2"),
    ("{{ 4.6 | round }} {{ 4.2 | ceil }} {{ 4.8 | floor }} {{ -3 | abs }}", "5 5 4 3"),
    ("{{ 5 | at_most: 3 }} {{ 1 | at_least: 3 }}", "3 3"),
    ("{{ 'Big Sale' | upcase | remove: 'BIG' }}", " SALE"),
    ("{{ 'a-b-c' | replace: '-', '+' }} {{ 'a-b-c' | replace_first: '-', '+' }}", "a+b+c a+b-c"),
    ("{{ 'hello' | append: ' world' }} {{ 'world' | prepend: 'hello ' }}", "hello world hello world"),
    ("{{ '  x  ' | strip }}|{{ '  x' | lstrip }}|{{ 'x  ' | rstrip }}", "x|x|x"),
    ("{{ 'Ada Lovelace was here' | truncate: 10 }}", "Ada Lov..."),
    ("{{ 'one two three' | truncatewords: 2 }}", "one two..."),
    ("{{ 'a,b,c' | split: ',' | join: '-' }}", "a-b-c"),
    ("{{ 'c,a,b' | split: ',' | sort | first }}{{ 'c,a,b' | split: ',' | last }}", "ab"),
    ("{{ 'a,b,a' | split: ',' | uniq | size }} {{ 'a,b' | split: ',' | reverse | join }}", "2 b a"),
    ("{{ 'ada' | size }} {{ 'hello' | slice: 1, 3 }}", "3 ell"),
    ("{{ '<b>x</b>' | escape }} {{ '<b>x</b>' | strip_html }}", "&lt;b&gt;x&lt;/b&gt; x"),
    ("{{ 'a b&c' | url_encode }}", "a+b%26c"),
    ("{{ nothing | default: 'there' }} {{ '' | default: 'empty' }} {{ false | default: 'no' }}", "there empty no"),
    ("{{ 'now' | date: '%Y-%m-%d %H:%M' }}", "2023-11-14 22:13"),  # UTC, from the scope's clock
    ("{{ 0 | date: '%Y-%m-%d' }}", "1970-01-01"),
    ("{{ '2016-09-07 08:43:50' | date: '%B %-d, %Y' }}", "September 7, 2016"),
    # tags
    ("{% if custom_attribute.${plan} == 'pro' %}pro{% elsif custom_attribute.${plan} %}other{% else %}none{% endif %}", "pro"),
    ("{% unless custom_attribute.${plan} == 'pro' %}upgrade{% endunless %}!", "!"),
    ("{% unless custom_attribute.${plan} == 'free' %}thanks{% endunless %}", "thanks"),
    ("{% case custom_attribute.${plan} %}{% when 'free' %}F{% when 'pro', 'max' %}P{% else %}?{% endcase %}", "P"),
    ("{% case 7 %}{% when 1 %}one{% else %}other{% endcase %}", "other"),
    ("{% for i in (1..3) %}{{ i }}{% unless forloop.last %},{% endunless %}{% endfor %}", "1,2,3"),
    ("{% for x in event_properties.${items} limit: 2 %}{{ x }}{% else %}none{% endfor %}", "ab"),
    ("{% for x in event_properties.${missing} %}{{ x }}{% else %}none{% endfor %}", "none"),
    (
        "{% for i in (1..5) %}{% if i == 4 %}{% break %}{% endif %}{% if i == 2 %}{% continue %}{% endif %}{{ i }}{% endfor %}",
        "13",
    ),
    ("{% assign total = custom_attribute.${n} | times: 2 %}{{ total }}", "6"),
    ("{% capture greeting %}Hi {{${first_name}}}{% endcapture %}{{ greeting | upcase }}", "HI ADA"),
    ("{% raw %}{{${first_name}}} {% if %}{% endraw %}", "{{${first_name}}} {% if %}"),
    ("a{% comment %} {{ ignored }} {% if x %} {% endcomment %}b", "ab"),
    ("a{% # inline comment %}b", "ab"),
    ("{%- if true -%}  x  {%- endif -%}  y", "xy"),
    ("{{- '  a  ' -}}  |", "  a  |"),
    ("{% increment c %}{% increment c %}", "01"),
    ("{% cycle 'a', 'b' %}{% cycle 'a', 'b' %}{% cycle 'a', 'b' %}", "aba"),
    ("{% echo 'e' | upcase %}", "E"),
    ("{% if 'abc' contains 'b' and 2 > 1 or false %}yes{% endif %}", "yes"),
    # undefined values render empty, as on Braze (Liquid's default), and are never an error
    ("[{{ nothing }}][{{ custom_attribute.${unknown} }}][{{ event_properties.${missing} }}]", "[][][]"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_standard_liquid_renders_as_liquid(text: str, expected: str) -> None:
    assert run(text, {"items": ["a", "b", "c"]}) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Hi {{ 'x' | shout }}", "line 1, column 13: unknown filter 'shout'"),
        ("Hi\n  {% frobnicate %}", "line 2, column 6: unexpected tag 'frobnicate'"),
        (
            "{% if true %}\nnever closed",
            "line 2, column 13 (the end of the template): expected tag endif, found end of expression",
        ),
        ("Hi {% endif %}", "line 1, column 7: unexpected tag 'endif'"),
        ("{{ 'unclosed' ", "line 1, column 1: expected '}}', found end of file"),
        ("{% include 'partial' %}", "line 1, column 4: unexpected tag 'include'"),  # no partials in a Braze message
        ("{{ x | find_index: 'a' }}", "line 1, column 8: unknown filter 'find_index'"),  # unsupported per Braze
        ("{{ }}", "line 1, column 4: expected a primitive expression, found end of expression"),
    ],
)
def test_what_cannot_be_rendered_is_an_error_naming_its_position(text: str, error: str) -> None:
    with pytest.raises(TemplateError) as raised:
        run(text)
    assert str(raised.value) == error


def test_a_filter_given_a_bad_argument_is_a_render_error_with_its_position() -> None:
    with pytest.raises(TemplateError, match=r"^line 2, column 13: divided_by: can't divide by 0$"):
        run("ok\nthen {{ 1 | divided_by: 0 }}")
