"""Link wrapping and pixel insertion on outgoing HTML: what changes, and what must not."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracklog.tracking.rewrite import FoundLink, find_links, rewrite_html

TRACKER = "https://t.tracklog.example/t/"
PIXEL_SRC = f"{TRACKER}o/PIXELTOKEN.gif"
PIXEL = (
    f'<img src="{PIXEL_SRC}" width="1" height="1" alt="">'
    f'<a href="{TRACKER}c/HONEYPOT" style="display:none">&nbsp;</a>'
)


def click_url_for(link: FoundLink) -> str:
    """A click URL that shows what it wraps (with an '&', to see the escaping)."""
    return f"{TRACKER}c/{link.occurrence}?to={link.url}&x=1"


def is_own_url(url: str) -> bool:
    """tracklog's own tracking links."""
    return url.startswith(TRACKER)


def rewrite(html: str, extra_html: str = PIXEL) -> str:
    """rewrite_html with the test callbacks."""
    return rewrite_html(html, click_url_for, is_own_url, extra_html)


def wrapped(url: str, occurrence: int = 0) -> str:
    """The attribute text (escaped, without quotes) a wrapped url becomes."""
    return f"{TRACKER}c/{occurrence}?to={url}&x=1".replace("&", "&amp;").replace('"', "&quot;")


def unchanged(html: str) -> str:
    """What rewriting html gives when no link is trackable: the pixel appended, nothing else."""
    return html + PIXEL


# --- which attributes are rewritten ---------------------------------------------------------


def test_a_href_is_wrapped_and_the_rest_is_identical() -> None:
    html = '<p>Hi <a class="x" href="https://shop.example/p/1" target=_blank>shop</a>!</p>'
    assert rewrite(html) == (
        f'<p>Hi <a class="x" href="{wrapped("https://shop.example/p/1")}" target=_blank>shop</a>!'
        f"</p>{PIXEL}"
    )


def test_area_href_is_wrapped() -> None:
    html = '<map name="m"><area shape="rect" coords="0,0,9,9" href="https://x.example/"></map>'
    assert (
        rewrite(html) == html.replace("https://x.example/", wrapped("https://x.example/")) + PIXEL
    )


@pytest.mark.parametrize("tag", ["v:roundrect", "v:rect", "v:oval", "v:shape", "o:button"])
def test_vml_href_is_wrapped(tag: str) -> None:
    html = f'<{tag} href="https://x.example/go" style="width:200px"><w:anchorlock/></{tag}>'
    assert rewrite(html) == html.replace(
        "https://x.example/go", wrapped("https://x.example/go")
    ) + (PIXEL)


def test_other_attributes_and_tags_are_not_links() -> None:
    html = (
        '<link rel="stylesheet" href="https://cdn.example/a.css">'
        '<img src="https://cdn.example/logo.png"><div href="https://x.example/">d</div>'
        '<a title="https://x.example/" data-href="https://x.example/">no href</a>'
    )
    assert rewrite(html) == unchanged(html)
    assert find_links(html) == []


def test_only_the_first_of_duplicate_href_attributes_counts() -> None:
    html = '<a href="https://one.example/" href="https://two.example/">x</a>'
    assert find_links(html) == [FoundLink("https://one.example/", 0)]
    assert rewrite(html) == (
        f'<a href="{wrapped("https://one.example/")}" href="https://two.example/">x</a>{PIXEL}'
    )


# --- which URLs are trackable ---------------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "mailto:ana@customer.example?subject=Hi",
        "tel:+351210000000",
        "sms:+351910000000",
        "#section-2",
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "",
        "   ",
        "relative/page.html",
        "/absolute/path",
        "//cdn.example/protocol-relative",
        "ftp://files.example/x",
        f"{TRACKER}c/ALREADYWRAPPED",
    ],
)
def test_untrackable_hrefs_are_left_alone(href: str) -> None:
    html = f'<body><a href="{href}">x</a></body>'
    assert rewrite(html) == f'<body><a href="{href}">x</a>{PIXEL}</body>'
    if not href.startswith(TRACKER):
        assert find_links(html) == []


@pytest.mark.parametrize(
    "href",
    [
        "https://track.hubspot.example/__ptq.gif?a=1",
        "https://mailchi.mp.example/track/click/30?u=abc&amp;id=def",
        "https://news.example/unsubscribe?list=7",
    ],
)
def test_other_services_trackers_and_unsubscribe_links_are_wrapped(href: str) -> None:
    url = href.replace("&amp;", "&")
    assert find_links(f'<a href="{href}">x</a>') == [FoundLink(url, 0)]
    assert wrapped(url) in rewrite(f'<a href="{href}">x</a>')


@pytest.mark.parametrize(
    ("href", "url"),
    [
        ("HTTPS://Shop.Example/A", "HTTPS://Shop.Example/A"),
        ("HtTp://x.example/", "HtTp://x.example/"),
        ("  https://x.example/spaces  ", "https://x.example/spaces"),
        ("\n\thttps://x.example/newlines\n", "https://x.example/newlines"),
        ("https://x.example/bro\nken", "https://x.example/broken"),
        ("https://x.example/page#section", "https://x.example/page#section"),
        ("https://x.example/a?b=1&amp;c=2", "https://x.example/a?b=1&c=2"),
        ("https://x.example/a?b=1&c=2", "https://x.example/a?b=1&c=2"),
        ("https://x.example/a?b=1&copy=2&reg=3", "https://x.example/a?b=1&copy=2&reg=3"),
        ("https://x.example/&#x41;&#66;&quot;", 'https://x.example/AB"'),
        ("https://x.example/&bogus;&amp", "https://x.example/&bogus;&"),
        ("https://bücher.example/straße?q=日本", "https://bücher.example/straße?q=日本"),
        ("&#104;ttps://x.example/encoded-scheme", "https://x.example/encoded-scheme"),
    ],
)
def test_the_found_url_is_what_a_browser_would_follow(href: str, url: str) -> None:
    html = f'<a href="{href}">x</a>'
    assert find_links(html) == [FoundLink(url, 0)]
    assert rewrite(html) == f'<a href="{wrapped(url)}">x</a>{PIXEL}'


def test_the_click_url_is_escaped_for_the_attribute() -> None:
    out = rewrite_html(
        '<a href="https://x.example/">x</a>',
        lambda link: 'https://t.example/c?a=1&b="2"',
        is_own_url,
        "",
    )
    assert out == '<a href="https://t.example/c?a=1&amp;b=&quot;2&quot;">x</a>'


# --- quoting, case and everything around the value ------------------------------------------


def test_quote_style_and_name_case_are_kept_and_unquoted_values_get_double_quotes() -> None:
    html = (
        '<A HREF="https://x.example/1">1</A>\n'
        "<a href='https://x.example/2'>2</a>\n"
        "<a href=https://x.example/3>3</a>\n"
        "<a\n  Href = 'https://x.example/4'\n  style=\"color:red\">4</a>"
    )
    assert rewrite(html, "") == (
        f'<A HREF="{wrapped("https://x.example/1")}">1</A>\n'
        f"<a href='{wrapped('https://x.example/2')}'>2</a>\n"
        f'<a href="{wrapped("https://x.example/3")}">3</a>\n'
        f"<a\n  Href = '{wrapped('https://x.example/4')}'\n  style=\"color:red\">4</a>"
    )


def test_a_single_quote_in_the_click_url_cannot_break_a_single_quoted_value() -> None:
    out = rewrite_html(
        "<a href='https://x.example/'>x</a>", lambda link: "https://t/c?n='1'", is_own_url, ""
    )
    assert out == "<a href='https://t/c?n=&#39;1&#39;'>x</a>"


def test_doctype_entities_scripts_styles_and_cdata_are_untouched() -> None:
    html = (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        "<html><head><style>a[href^='https://x.example/']{color:red}</style>"
        "<script>var s = '<a href=\"https://x.example/script\">';</script></head>"
        '<body>&nbsp;&copy;&#160;&bogus; &amp;<![CDATA[ <a href="https://x.example/cdata"> ]]>'
        '<svg><a href="https://x.example/svg">svg</a></svg>'
        "</body></html>"
    )
    out = rewrite(html)
    assert out == html.replace("https://x.example/svg", wrapped("https://x.example/svg")).replace(
        "</body>", PIXEL + "</body>"
    )
    assert [link.url for link in find_links(html)] == ["https://x.example/svg"]


def test_links_inside_ordinary_comments_are_left_alone() -> None:
    html = (
        '<!-- old: <a href="https://x.example/old">x</a> --><a href="https://x.example/new">n</a>'
    )
    assert find_links(html) == [FoundLink("https://x.example/new", 0)]
    assert rewrite(html, "") == html.replace(
        "https://x.example/new", wrapped("https://x.example/new")
    )


# --- <base href> -----------------------------------------------------------------------------


def test_relative_links_resolve_against_base_href_which_is_kept() -> None:
    html = (
        '<head><base href=" https://www.example.com/shop/ "></head><body>'
        '<a href="item/7?c=1&amp;d=2">7</a><a href="/about">about</a><a href="#top">top</a>'
        '<a href="mailto:a@b.example">m</a><a href="https://other.example/">o</a></body>'
    )
    assert [link.url for link in find_links(html)] == [
        "https://www.example.com/shop/item/7?c=1&d=2",
        "https://www.example.com/about",
        "https://other.example/",
    ]
    out = rewrite(html)
    assert '<base href=" https://www.example.com/shop/ ">' in out
    assert f'<a href="{wrapped("https://www.example.com/shop/item/7?c=1&d=2")}">7</a>' in out
    assert '<a href="#top">top</a><a href="mailto:a@b.example">m</a>' in out


def test_a_base_href_that_is_not_absolute_or_not_http_gives_nothing_to_track() -> None:
    assert find_links('<base href="/relative/"><a href="page">x</a>') == []
    assert find_links('<base href="ftp://files.example/"><a href="page">x</a>') == []


def test_the_first_base_href_counts_even_for_links_before_it() -> None:
    html = '<a href="a">a</a><base href="https://one.example/"><base href="https://two.example/">'
    assert find_links(html) == [FoundLink("https://one.example/a", 0)]


# --- Outlook conditional comments and VML ----------------------------------------------------

OUTLOOK_MAIL = """\
<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
<head>
<meta http-equiv=Content-Type content="text/html; charset=utf-8">
<!--[if gte mso 9]><xml>
<o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch>
</o:OfficeDocumentSettings></xml><![endif]-->
<style><!--
p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
--></style>
</head>
<body lang=EN-US link="#0563C1" vlink="#954F72" style='word-wrap:break-word'>
<div class=WordSection1>
<p class=MsoNormal>Hi Ana,<o:p></o:p></p>
<p class=MsoNormal>The proposal is ready:&nbsp;<o:p></o:p></p>
<div><!--[if mso]>
  <v:roundrect xmlns:v="urn:schemas-microsoft-com:vml"
    xmlns:w="urn:schemas-microsoft-com:office:word"
    href="https://deals.example.com/proposal/42?ref=mail&amp;v=2"
    style="height:40px;v-text-anchor:middle;width:200px"
    arcsize="10%" strokecolor="#1e3650" fill="t">
    <v:fill type="tile" color="#556270" />
    <w:anchorlock/>
    <center style="color:#ffffff;font-family:sans-serif;font-size:13px;">Open the proposal</center>
  </v:roundrect>
<![endif]--><!--[if !mso]><!-- --><a href="https://deals.example.com/proposal/42?ref=mail&amp;v=2"
style="background-color:#556270;border-radius:4px;color:#ffffff;display:inline-block;">Open
the proposal</a>
<!--<![endif]--></div>
<p class=MsoNormal><a href="mailto:rep@seller.example">rep@seller.example</a> |
<a href="tel:+351210000000">+351 21 000 0000</a> |
<a href="https://www.seller.example/" target="_blank">www.seller.example</a><o:p></o:p></p>
<!--[if mso]><table><tr><td><a href='https://www.seller.example/outlook-only'>Outlook</a></td></tr></table><![endif]-->
</div>
</body>
</html>
"""


def test_real_world_outlook_mail_with_a_vml_bulletproof_button() -> None:
    proposal = "https://deals.example.com/proposal/42?ref=mail&v=2"
    assert find_links(OUTLOOK_MAIL) == [
        FoundLink(proposal, 0),
        FoundLink(proposal, 1),
        FoundLink("https://www.seller.example/", 0),
        FoundLink("https://www.seller.example/outlook-only", 0),
    ]
    expected = (
        OUTLOOK_MAIL.replace(
            'href="https://deals.example.com/proposal/42?ref=mail&amp;v=2"\n    style="height',
            f'href="{wrapped(proposal, 0)}"\n    style="height',
        )
        .replace(
            'href="https://deals.example.com/proposal/42?ref=mail&amp;v=2"\nstyle',
            f'href="{wrapped(proposal, 1)}"\nstyle',
        )
        .replace('"https://www.seller.example/"', f'"{wrapped("https://www.seller.example/")}"')
        .replace(
            "'https://www.seller.example/outlook-only'",
            f"'{wrapped('https://www.seller.example/outlook-only')}'",
        )
        .replace("</div>\n</body>", f"</div>\n{PIXEL}</body>")
    )
    assert rewrite(OUTLOOK_MAIL) == expected
    out = rewrite(OUTLOOK_MAIL)
    for marker in ("<!--[if mso]>", "<![endif]-->", "<!--[if !mso]><!-- -->", "<!--<![endif]-->"):
        assert out.count(marker) == OUTLOOK_MAIL.count(marker)


def test_downlevel_revealed_and_hidden_conditionals_keep_their_markers() -> None:
    html = (
        '<!--[if mso]><v:rect href="https://x.example/b" fill="t"></v:rect><![endif]-->'
        '<!--[if !mso]><!--><a href="https://x.example/b">b</a><!--<![endif]-->'
        '<![if !mso]><a href="https://x.example/c">c</a><![endif]>'
        "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]-->"
    )
    assert rewrite(html, "") == (
        f'<!--[if mso]><v:rect href="{wrapped("https://x.example/b", 0)}" fill="t"></v:rect>'
        "<![endif]-->"
        f'<!--[if !mso]><!--><a href="{wrapped("https://x.example/b", 1)}">b</a><!--<![endif]-->'
        f'<![if !mso]><a href="{wrapped("https://x.example/c")}">c</a><![endif]>'
        "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]-->"
    )


def test_a_comment_that_only_looks_conditional_is_not_rewritten() -> None:
    html = '<!--[if mso]> <a href="https://x.example/">never closed properly -->'
    assert rewrite(html, "") == html


# --- where the pixel goes --------------------------------------------------------------------


def test_pixel_goes_before_body_end() -> None:
    assert rewrite("<html><body><p>x</p></body></html>") == (
        f"<html><body><p>x</p>{PIXEL}</body></html>"
    )


def test_pixel_is_appended_when_there_is_no_body_end() -> None:
    assert rewrite("<p>Just a fragment") == f"<p>Just a fragment{PIXEL}"
    assert rewrite("") == PIXEL


def test_pixel_goes_before_the_last_of_two_body_ends() -> None:
    html = "<body>one</body><body>two</BODY >\n</html>"
    assert rewrite(html) == f"<body>one</body><body>two{PIXEL}</BODY >\n</html>"


def test_body_end_inside_comments_scripts_or_self_closing_is_ignored() -> None:
    html = (
        "<body>text</body><!-- </body> --><!--[if mso]></body><![endif]-->"
        "<script>document.write('</body>')</script><body/>"
    )
    assert rewrite(html) == html.replace("text</body>", f"text{PIXEL}</body>", 1)


def test_pixel_already_there_is_not_added_again() -> None:
    html = f'<body><img alt="" src="{PIXEL_SRC}"></body>'
    assert rewrite(html) == html
    entity_encoded = f'<body><img src="{PIXEL_SRC.replace("/", "&#47;")}"></body>'
    assert rewrite(entity_encoded) == entity_encoded


def test_extra_html_without_img_is_compared_as_text_and_empty_adds_nothing() -> None:
    assert rewrite("<body>x</body>", "<span>t</span>") == "<body>x<span>t</span></body>"
    assert rewrite("<body>x<span>t</span></body>", "<span>t</span>") == (
        "<body>x<span>t</span></body>"
    )
    assert rewrite("<body>x</body>", "") == "<body>x</body>"


# --- idempotence and numbering ---------------------------------------------------------------


def test_rewriting_twice_changes_nothing_and_adds_no_second_pixel() -> None:
    once = rewrite(OUTLOOK_MAIL)
    assert rewrite(once) == once
    assert once.count(PIXEL_SRC) == 1
    assert find_links(once) and all(is_own_url(link.url) for link in find_links(once))


def test_find_links_numbers_repeats_of_the_same_url() -> None:
    html = (
        '<a href="https://a.example/">1</a><a href="https://b.example/">2</a>'
        '<a href=" https://a.example/ ">3</a><a href="https://a.example/#x">4</a>'
        '<area href="https://a.example/"><a href="https://A.example/">6</a>'
    )
    assert find_links(html) == [
        FoundLink("https://a.example/", 0),
        FoundLink("https://b.example/", 0),
        FoundLink("https://a.example/", 1),
        FoundLink("https://a.example/#x", 0),
        FoundLink("https://a.example/", 2),
        FoundLink("https://A.example/", 0),
    ]


def test_click_url_for_sees_the_same_links_as_find_links_minus_own_ones() -> None:
    seen: list[FoundLink] = []

    def record(link: FoundLink) -> str:
        seen.append(link)
        return "https://t.example/c"

    html = OUTLOOK_MAIL + f'<a href="{TRACKER}c/MINE">mine</a>'
    rewrite_html(html, record, is_own_url, PIXEL)
    assert seen == [link for link in find_links(html) if not is_own_url(link.url)]
    assert len(seen) == 4


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://x.example/">unclosed <b><i><table><tr><td>',
        "a < b and c > d <",
        "<<<>>><a<a<a href=x><",
        "\x00\x01\x02\xff\ufffe<a href='https://x.example/\x00'>\x00</a>\x00",
        "&#; &#xZZ; &#99999999999; &; &#",
        "<!-- never closed <a href='https://x.example/'>",
        "<![foo[ x ]]><![CDATA[ open",
        '<a href="https://x.example/ unterminated quote>',
        "<!--[if mso]><!--[if mso]><a href='https://x.example/'><![endif]--><![endif]-->",
        "<?xml version='1.0'?><!doctype><!><!--><!--->",
        "\udc80 lone surrogate <a href='https://x.example/\ud800'>x</a>",
    ],
)
def test_bad_input_never_raises(html: str) -> None:
    out = rewrite(html)
    assert out.count(PIXEL) == 1


def test_links_after_malformed_character_references_are_still_found() -> None:
    # The stdlib parser (3.11) stops parsing for good at a second malformed "&#".
    html = 'C&#; and C&#x; <a href="https://x.example/after">after</a> &# <a href="https://y.example/">y'
    assert [link.url for link in find_links(html)] == [
        "https://x.example/after",
        "https://y.example/",
    ]


def test_an_unterminated_comment_hides_the_rest_like_in_browsers() -> None:
    html = '<a href="https://x.example/1">1</a><!-- <a href="https://x.example/2">2</a></body>'
    assert [link.url for link in find_links(html)] == ["https://x.example/1"]
    assert rewrite(html).endswith("</body>" + PIXEL)


def test_deeply_nested_tags() -> None:
    html = "<div>" * 100_000 + '<a href="https://x.example/deep">d</a>' + "</div>" * 100_000
    assert find_links(html) == [FoundLink("https://x.example/deep", 0)]


def test_a_20_mb_document() -> None:
    chunk = "<p>" + "lorem ipsum dolor sit amet " * 40 + "</p>\n"
    filler = chunk * (10_100_000 // len(chunk))
    html = f'<body><a href="https://x.example/first">f</a>{filler}{filler}'
    html += '<a href="https://x.example/last">l</a></body>'
    assert len(html) > 20_000_000
    out = rewrite(html)
    assert out.endswith(f'<a href="{wrapped("https://x.example/last")}">l</a>{PIXEL}</body>')
    growth = sum(
        len(wrapped(url)) - len(url)
        for url in ("https://x.example/first", "https://x.example/last")
    )
    assert len(out) - len(html) == len(PIXEL) + growth


def test_failing_callbacks_still_give_the_mail_with_its_pixel() -> None:
    def broken(link: FoundLink) -> str:
        raise RuntimeError("database gone")

    html = '<body><a href="https://x.example/">x</a></body>'
    assert rewrite_html(html, broken, is_own_url, PIXEL) == html + PIXEL


# --- properties ------------------------------------------------------------------------------

URLS = [
    "https://x.example/",
    "https://x.example/p?a=1&b=2",
    "http://y.example/#frag",
    "HTTPS://Z.example/ü",
    "mailto:a@b.example",
    "tel:+1",
    "#top",
    "",
    "page.html",
    f"{TRACKER}c/OWN",
]
SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="<>&\"'\r", blacklist_categories=("Cs",)),
    max_size=20,
)


@st.composite
def link_fragment(draw: st.DrawFn) -> tuple[str, str]:
    """A link tag, and what it should become when rewritten with wrap_all."""
    tag = draw(st.sampled_from(["a", "A", "area", "v:roundrect", "v:rect"]))
    url = draw(st.sampled_from(URLS))
    quote = draw(st.sampled_from(['"', "'", ""] if url and "#" not in url[:1] else ['"', "'"]))
    escaped = url.replace("&", "&amp;")
    before = draw(st.sampled_from(["", ' class="c"', " id=x"]))
    source = f"<{tag}{before} href={quote}{escaped}{quote}>"
    trackable = url.lower().startswith("http") and not is_own_url(url)
    if not trackable:
        return source, source
    new = wrap_all(FoundLink(url, 0)).replace("&", "&amp;")
    return source, f"<{tag}{before} href={quote or chr(34)}{new}{quote or chr(34)}>"


def wrap_all(link: FoundLink) -> str:
    """A click URL that ignores the occurrence, so the expected output is easy to build."""
    return f"{TRACKER}c/X?u={link.url}"


@st.composite
def document(draw: st.DrawFn, depth: int = 0) -> tuple[str, str]:
    """Random HTML built from pieces, and what it should become when rewritten with wrap_all."""
    pieces = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["text", "link", "tag", "entity", "comment", "conditional"]))
        if kind == "text":
            text = draw(SAFE_TEXT)
            pieces.append((text, text))
        elif kind == "link":
            pieces.append(draw(link_fragment()))
        elif kind == "tag":
            tag = draw(st.sampled_from(["<p>", "</p>", "<br/>", "<td nowrap>", "</a>", "<o:p>"]))
            pieces.append((tag, tag))
        elif kind == "entity":
            entity = draw(
                st.sampled_from(["&nbsp;", "&amp;", "&#160;", "&#xA0;", "&bogus;", "&#;"])
            )
            pieces.append((entity, entity))
        elif kind == "comment" and depth == 0:
            # A comment ends at the first "-->", so none can sit inside a conditional one.
            comment = f"<!--{draw(SAFE_TEXT)}-->"
            pieces.append((comment, comment))
        elif kind == "conditional" and depth == 0:
            inner_source, inner_expected = draw(document(depth=1))
            pieces.append(
                (
                    f"<!--[if mso]>{inner_source}<![endif]-->",
                    f"<!--[if mso]>{inner_expected}<![endif]-->",
                )
            )
    return "".join(p[0] for p in pieces), "".join(p[1] for p in pieces)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_never_raises_and_gets_one_pixel(text: str) -> None:
    out = rewrite(text)
    assert out.count(PIXEL_SRC) == text.count(PIXEL_SRC) + 1
    find_links(text)


SOUP_TOKENS = (
    "<|>|a|href|=|\"|'|&|#|!|--|[if mso]>|<![endif]|https://x.ex/|/| |\n|\x00|body|v:rect|base|;"
).split("|")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(SOUP_TOKENS),
        max_size=60,
    )
)
def test_markup_soup_never_raises_and_keeps_every_found_url(tokens: list[str]) -> None:
    soup = "".join(tokens)
    out = rewrite_html(soup, lambda link: link.url, lambda url: False, "")
    for link in find_links(soup):
        assert link.url in out
    rewrite(soup)


@settings(max_examples=300, deadline=None)
@given(document())
def test_identity_wrapping_gives_back_the_input_plus_the_pixel(doc: tuple[str, str]) -> None:
    source, _ = doc
    assert rewrite_html(source, lambda link: link.url, lambda url: False, PIXEL) == source + PIXEL


@settings(max_examples=300, deadline=None)
@given(document())
def test_only_the_link_values_change(doc: tuple[str, str]) -> None:
    source, expected = doc
    assert rewrite_html(source, wrap_all, is_own_url, PIXEL) == expected + PIXEL
