"""What a screen reader hears from the example game, over AT-SPI.

Run with Debian's python3 (it needs python3-gi and gir1.2-atspi-2.0), on the
session bus in DBUS_SESSION_BUS_ADDRESS:

    screen_reader.py enable   turns accessibility on, as a screen reader does
    screen_reader.py tree     prints every application's accessible tree
    screen_reader.py listen   prints each announcement until it is killed
    screen_reader.py focused  prints the focused element's `role<TAB>name`

Lines are `role<TAB>name` (tree, indented by depth) and
`announcement<TAB>text` (listen).
"""

import sys

import gi

gi.require_version("Atspi", "2.0")
gi.require_version("Gio", "2.0")
from gi.repository import Atspi, Gio, GLib  # noqa: E402


def enable():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    for name in ("IsEnabled", "ScreenReaderEnabled"):
        bus.call_sync(
            "org.a11y.Bus",
            "/org/a11y/bus",
            "org.freedesktop.DBus.Properties",
            "Set",
            GLib.Variant("(ssv)", ("org.a11y.Status", name, GLib.Variant("b", True))),
            None,
            Gio.DBusCallFlags.NONE,
            5000,
            None,
        )


def tree():
    desktop = Atspi.get_desktop(0)
    for index in range(desktop.get_child_count()):
        walk(desktop.get_child_at_index(index), 0)
    sys.stdout.flush()


def walk(node, depth):
    if node is None or depth > 40:
        return
    name = (node.get_name() or "").replace("\n", " ")
    print(f"{'  ' * depth}{node.get_role_name()}\t{name}")
    for index in range(node.get_child_count()):
        walk(node.get_child_at_index(index), depth + 1)


def focused():
    desktop = Atspi.get_desktop(0)
    for index in range(desktop.get_child_count()):
        found = find_focused(desktop.get_child_at_index(index), 0)
        if found is not None:
            name = (found.get_name() or "").replace("\n", " ")
            print(f"{found.get_role_name()}\t{name}")
            break
    sys.stdout.flush()


def find_focused(node, depth):
    if node is None or depth > 40:
        return None
    if node.get_state_set().contains(Atspi.StateType.FOCUSED):
        return node
    for index in range(node.get_child_count()):
        found = find_focused(node.get_child_at_index(index), depth + 1)
        if found is not None:
            return found
    return None


def listen():
    def heard(event):
        text = event.any_data if isinstance(event.any_data, str) else ""
        print(f"announcement\t{text}", flush=True)

    listener = Atspi.EventListener.new(heard)
    listener.register("object:announcement")
    print("listening", flush=True)
    Atspi.event_main()


{"enable": enable, "tree": tree, "listen": listen, "focused": focused}[sys.argv[1]]()
