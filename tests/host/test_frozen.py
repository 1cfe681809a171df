"""copy_with: a frozen dataclass copied with some fields changed, as dataclasses.replace."""

import dataclasses

import pytest

from sikd_host.frozen import copy_with
from sikd_host.menus import MenuItem, Widget


def test_a_copy_equals_what_replace_gives_and_leaves_the_original_alone():
    item = MenuItem("x.home", "Home", "x.home", url_values={"a": 1})
    copy = copy_with(item, plugin="x", href="/x/")
    assert copy == dataclasses.replace(item, plugin="x", href="/x/")
    assert (item.plugin, item.href) == ("host", None)
    assert copy.url_values is item.url_values  # a shallow copy, as replace makes
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.plugin = "y"
    widget = Widget("w", "Title", "w.html", order=5)
    assert copy_with(widget, plugin="x") == Widget("w", "Title", "w.html", order=5, plugin="x")


def test_an_unknown_field_is_refused():
    with pytest.raises(TypeError, match="has no field 'colour'"):
        copy_with(MenuItem("x", "X", "x.home"), colour="red")


@dataclasses.dataclass(frozen=True)
class Checked:
    value: int
    doubled: int = 0

    def __post_init__(self):
        object.__setattr__(self, "doubled", self.value * 2)


@dataclasses.dataclass(frozen=True, slots=True)
class Slotted:
    value: int


def test_classes_with_post_init_or_slots_go_through_replace():
    assert copy_with(Checked(2), value=5).doubled == 10  # __post_init__ ran again
    assert copy_with(Slotted(1), value=3) == Slotted(3)
