"""A tiny GTK window that offers one file as a drag source (text/uri-list), for a real native
drag-and-drop onto the app driven by xdotool. Usage: drag_source.py FILE X Y. Prints "ready"
once shown, exits when the drag ends."""
import sys

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

path, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
uri = GLib.filename_to_uri(path, None)

window = Gtk.Window(title="coffre-drag-source")
window.set_default_size(200, 120)
window.move(x, y)
button = Gtk.Button(label="drag me")
window.add(button)
button.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
button.drag_source_add_uri_targets()
button.connect("drag-data-get", lambda _w, _c, data, _i, _t: data.set_uris([uri]))
button.connect("drag-end", lambda *_: GLib.timeout_add(500, Gtk.main_quit))
window.connect("destroy", Gtk.main_quit)
window.show_all()
GLib.timeout_add(300, lambda: print("ready", flush=True) and False)
GLib.timeout_add(60_000, Gtk.main_quit)
Gtk.main()
