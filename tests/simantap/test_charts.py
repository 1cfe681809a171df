"""The server-side SVG charts: parsed as XML, their cells, points and bars carry the numbers
they were given, they are named images (title and desc), they escape hostile labels and
keep their text readable."""

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup
from sikd_simantap import charts
from sikd_simantap.scoring.mapping import BAND_LABELS

NS = {"svg": charts.SVG_NS}
HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


def parse(svg):
    assert isinstance(svg, Markup)
    return ET.fromstring(str(svg))


def tag(element):
    return element.tag.split("}")[1]


def assert_named_image(root, title, desc, chart_id):
    assert tag(root) == "svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root.get("width") == "100%" and root.get("viewBox", "").startswith("0 0 ")
    assert root.find("svg:title", NS).get("id") == f"{chart_id}-title"
    assert root.find("svg:title", NS).text == title
    assert root.find("svg:desc", NS).get("id") == f"{chart_id}-desc"
    assert root.find("svg:desc", NS).text == desc
    assert root.get("style") is None and not root.findall(".//svg:script", NS)
    assert not [e for e in root.iter() if e.get("style") is not None]


def heat(counts, **kwargs):
    defaults = dict(
        title="Nine-box 2026",
        description="Employees per box",
        row_labels=BAND_LABELS,
        column_labels=BAND_LABELS,
        row_axis="Kinerja",
        column_axis="Potensial",
    )
    return charts.heat_map(counts, **{**defaults, **kwargs})


def cells(root):
    return {int(g.get("data-box")): g for g in root.iterfind(".//svg:g[@class='cell']", NS)}


def texts(element):
    return ["".join(t.itertext()) for t in element.iterfind(".//svg:text", NS)]


def test_heat_map_lays_out_section_5_with_counts_and_percentages():
    root = parse(heat({9: 3, 7: 1, 5: 4, 1: 2}))
    assert_named_image(root, "Nine-box 2026", "Employees per box", "ninebox-chart")
    found = cells(root)
    assert sorted(found) == list(range(1, 10))
    # positions: kinerja di atas on top (smallest y), potensial rendah on the left
    place = {
        box: (float(g.find("svg:rect", NS).get("y")), float(g.find("svg:rect", NS).get("x")))
        for box, g in found.items()
    }
    rows = sorted({y for y, _x in place.values()})
    columns = sorted({x for _y, x in place.values()})
    grid = [[next(b for b, p in place.items() if p == (y, x)) for x in columns] for y in rows]
    assert grid == [[4, 7, 9], [2, 5, 8], [1, 3, 6]]
    # 10 mapped: box 9 holds 3 (30.0%), box 5 4 (40.0%), box 1 2 (20.0%), box 7 1 (10.0%)
    expected = {9: (3, "30.0"), 5: (4, "40.0"), 1: (2, "20.0"), 7: (1, "10.0"), 8: (0, "0.0")}
    for box, (count, share) in expected.items():
        g = found[box]
        assert g.get("data-count") == str(count) and g.get("data-percent") == share
        assert texts(g) == [f"Box {box}", str(count), f"{share}%"]
    # the band labels and the axis titles are drawn
    every = texts(root)
    assert "Potensial" in every and "Kinerja" in every and "high" in every
    assert any("above" in t for t in every)


def test_heat_map_intensity_follows_the_count_and_text_stays_readable():
    root = parse(heat({9: 10, 8: 5, 2: 1}))
    fill = {box: g.find("svg:rect", NS).get("fill") for box, g in cells(root).items()}
    assert fill[9] == charts.HEAT_HIGH and fill[1] == charts.EMPTY == fill[4]
    assert charts.luminance(fill[9]) < charts.luminance(fill[8]) < charts.luminance(fill[2])
    assert charts.luminance(fill[2]) < charts.luminance(charts.EMPTY)
    for g in cells(root).values():
        background = g.find("svg:rect", NS).get("fill")
        for text in g.iterfind("svg:text", NS):
            assert charts.contrast(background, text.get("fill")) >= 4.5


def test_heat_map_total_highlight_and_an_empty_grid():
    root = parse(heat({5: 1}, total=4, highlight=[5], box_label="Kotak %(box)s"))
    found = cells(root)
    assert found[5].get("data-percent") == "25.0" and texts(found[5])[0] == "Kotak 5"
    assert found[5].find("svg:rect", NS).get("stroke-width") == "4"
    assert found[6].find("svg:rect", NS).get("stroke-width") == "1"
    empty = cells(parse(heat({})))
    assert all(
        g.get("data-count") == "0" and g.get("data-percent") == "0.0" for g in empty.values()
    )


def test_heat_map_escapes_every_text():
    svg = heat(
        {1: 1},
        title=HOSTILE,
        description=HOSTILE,
        row_axis=HOSTILE,
        column_labels={"rendah": HOSTILE},
        box_label=HOSTILE,
    )
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    root = parse(svg)
    assert root.find("svg:title", NS).text == HOSTILE
    assert root.find("svg:desc", NS).text == HOSTILE
    assert HOSTILE in texts(root)


def test_a_chart_id_must_be_a_plain_id():
    with pytest.raises(ValueError):
        heat({}, chart_id='x" onload="alert(1)')


def test_line_chart_points_carry_series_period_and_value():
    periods = ["2024", "2025", "2026"]
    root = parse(
        charts.line_chart(
            periods,
            [("Kinerja", [70.5, None, 80.0]), (HOSTILE, [60.0, 65.25, 71.0])],
            title="Trends",
            description="Mean scores per period",
            y_label="Score",
            y_max=100,
            chart_id="trend",
        )
    )
    assert_named_image(root, "Trends", "Mean scores per period", "trend")
    points = [
        (c.get("data-series"), c.get("data-period"), c.get("data-value"), float(c.get("cy")))
        for c in root.iterfind(".//svg:circle[@class='point']", NS)
    ]
    assert [p[:3] for p in points] == [
        ("Kinerja", "2024", "70.5"),
        ("Kinerja", "2026", "80"),
        (HOSTILE, "2024", "60"),
        (HOSTILE, "2025", "65.25"),
        (HOSTILE, "2026", "71"),
    ]
    y = {(s, p): cy for s, p, _v, cy in points}
    assert y[("Kinerja", "2026")] < y[(HOSTILE, "2026")] < y[("Kinerja", "2024")]
    # a missing value breaks the line: two separate moves, no line through 2025
    kinerja = root.find(".//svg:g[@data-series='Kinerja']/svg:path", NS).get("d")
    assert kinerja.count("M") == 2 and "L" not in kinerja
    series = list(root.iterfind(".//svg:g[@class='series']", NS))
    assert series[1].get("data-series") == HOSTILE
    assert series[1].find("svg:path", NS).get("d").count("L") == 2
    labels = texts(root)
    assert periods == [t for t in labels if t in periods]
    assert {"0", "20", "40", "60", "80", "100"} <= set(labels) and "Score" in labels
    legend = list(root.iterfind(".//svg:g[@class='legend-item']", NS))
    assert [g.find("svg:title", NS).text for g in legend] == ["Kinerja", HOSTILE]
    assert texts(legend[1])[0] == HOSTILE  # a long name gets a row of its own


def test_legends_keep_names_whole_when_they_fit_and_shorten_them_otherwise():
    assert charts.legend_layout(["Kinerja", "Potensial"], 520) == (3, 21)
    assert charts.legend_layout(["a", "x" * 30], 520)[0] == 2
    assert charts.legend_layout(["x" * 200], 520) == (1, 73)
    long_name = "Unit " * 40
    root = parse(charts.line_chart(["2025"], [(long_name, [1.0])], title="t", description="d"))
    item = root.find(".//svg:g[@class='legend-item']", NS)
    assert item.find("svg:title", NS).text == long_name
    assert texts(item)[0].endswith("\u2026") and len(texts(item)[0]) <= 73


def test_line_chart_checks_its_input_and_draws_empty_series():
    with pytest.raises(ValueError):
        charts.line_chart(["2025"], [("a", [1, 2])], title="t", description="d")
    root = parse(charts.line_chart(["2025"], [("a", [None])], title="t", description="d"))
    assert not root.findall(".//svg:circle", NS)


def test_bar_chart_plain_bars_with_their_values():
    root = parse(
        charts.bar_chart(
            [("Pria", [9]), ("Wanita", [4]), (HOSTILE, [0])],
            title="Employees by gender",
            description="How many employees",
            chart_id="gender",
        )
    )
    assert_named_image(root, "Employees by gender", "How many employees", "gender")
    bars = list(root.iterfind(".//svg:g[@class='bar']", NS))
    assert [b.get("data-label") for b in bars] == ["Pria", "Wanita", HOSTILE]
    assert [b.get("data-total") for b in bars] == ["9", "4", "0"]
    widths = [float(b.find("svg:rect", NS).get("width")) for b in bars]
    assert widths[0] > widths[1] > widths[2] == 0
    assert widths[0] / widths[1] == pytest.approx(9 / 4)
    assert [texts(b)[-1] for b in bars] == ["9", "4", "0"]  # the total at the end
    assert texts(bars[2])[0].startswith("<script>")  # escaped in the markup, text when parsed


def test_bar_chart_stacked_percentages_by_box_group():
    groups = ["Boxes 1-3", "Boxes 4-6", "Boxes 7-9"]
    root = parse(
        charts.bar_chart(
            [("Pria", [25.0, 50.0, 25.0]), ("Wanita", [0.0, 40.0, 60.0])],
            segments=groups,
            as_percent=True,
            title="Box groups by gender",
            description="Share of the mapped employees in each group",
        )
    )
    bars = list(root.iterfind(".//svg:g[@class='bar']", NS))
    segments = [
        [
            (r.get("data-segment"), r.get("data-value"), float(r.get("width")))
            for r in b.iterfind("svg:rect", NS)
        ]
        for b in bars
    ]
    assert [[s[:2] for s in bar] for bar in segments] == [
        [("Boxes 1-3", "25"), ("Boxes 4-6", "50"), ("Boxes 7-9", "25")],
        [("Boxes 1-3", "0"), ("Boxes 4-6", "40"), ("Boxes 7-9", "60")],
    ]
    full = sum(width for _s, _v, width in segments[0])
    assert full == pytest.approx(sum(width for _s, _v, width in segments[1]))
    assert segments[0][1][2] == pytest.approx(full / 2)
    assert "50.0%" in texts(bars[0]) and "100.0%" not in texts(root)  # no useless totals
    legend = [
        g.find("svg:title", NS).text for g in root.iterfind(".//svg:g[@class='legend-item']", NS)
    ]
    assert legend == groups
    for rect in root.iterfind(".//svg:rect[@class='segment']", NS):
        assert charts.contrast(rect.get("fill"), "#ffffff") >= 3
    with pytest.raises(ValueError):
        charts.bar_chart([("a", [1])], segments=groups, title="t", description="d")


def test_palette_contrast_and_nice_axes():
    assert all(charts.contrast(colour, "#ffffff") >= 3 for colour in charts.PALETTE)
    assert charts.contrast(charts.MUTED, "#ffffff") >= 4.5
    assert charts.text_colour("#ffffff") == "#000000"
    assert charts.text_colour(charts.HEAT_HIGH) == "#ffffff"
    assert charts.nice_max(13) == 15 and charts.nice_max(0) == 1 and charts.nice_max(100) == 100
    assert charts.nice_step(100) == 20 and charts.nice_step(7) == 2
