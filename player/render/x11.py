"""Living through the X server going away, and noticing when it is back.

Xlib's default I/O error handling ends the process (status 1) as soon as the connection to the X
server breaks: a TV switched off or an X server restarted would kill the player. Since libX11 1.7,
`XSetIOErrorExitHandler` replaces that exit for one connection; the connection is then marked dead
and every later call on it returns at once, so the frame being drawn finishes and the render loop
sees `lost()`.

SDL cannot be shut down on such a connection: destroying its window waits for an UnmapNotify that
never comes, and closing its second connection syncs with the dead server and exits through the
default handler. So the player never tears SDL's X state down after a loss: it starts itself again
in place (same pid, see player.app) and waits there for the server.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading

log = logging.getLogger(__name__)

_IOErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_IOErrorExitHandler = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)

_lost = threading.Event()
_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_installed = False


def _on_io_error(_display: int | None) -> int:
    # Runs inside whichever Xlib call found the connection broken: no logging, no pygame here.
    # One plain line on stderr, so that a connection without our exit handler (which Xlib then
    # ends the process for) still leaves a word in the journal.
    if not _lost.is_set():
        os.write(2, b"the connection to the X server broke\n")
    _lost.set()
    return 0


def _on_io_error_exit(_display: int | None, _data: int | None) -> None:
    _lost.set()  # returning (instead of exiting) leaves the connection dead but the process alive


# Kept at module level: Xlib holds these pointers for the life of the process.
_IO_HANDLER = _IOErrorHandler(_on_io_error)
_EXIT_HANDLER = _IOErrorExitHandler(_on_io_error_exit)


def _libx11() -> ctypes.CDLL | None:
    global _lib, _installed
    with _lock:
        if _lib is None:
            name = ctypes.util.find_library("X11") or "libX11.so.6"
            try:
                lib = ctypes.CDLL(name)
            except OSError as exc:
                log.warning("cannot load libX11 (%s): losing the X server will end the player", exc)
                return None
            if not hasattr(lib, "XSetIOErrorExitHandler"):
                log.warning("libX11 older than 1.7: losing the X server will end the player")
                return None
            lib.XSetIOErrorHandler.argtypes = [_IOErrorHandler]
            lib.XSetIOErrorHandler.restype = ctypes.c_void_p
            lib.XSetIOErrorExitHandler.argtypes = [ctypes.c_void_p, _IOErrorExitHandler, ctypes.c_void_p]
            lib.XSetIOErrorExitHandler.restype = None
            lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
            lib.XOpenDisplay.restype = ctypes.c_void_p
            lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
            lib.XCloseDisplay.restype = ctypes.c_int
            _lib = lib
        if not _installed:
            # Also silences Xlib's "X connection to :0 broken" line: the player says it itself.
            _lib.XSetIOErrorHandler(_IO_HANDLER)
            _installed = True
        return _lib


def _capsule_pointer(capsule: object, name: bytes) -> int | None:
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    try:
        return get(capsule, name)
    except (ValueError, TypeError):
        return None


def protect_sdl_connection() -> bool:
    """Keep the process alive when SDL's X connection breaks; True when that is in place."""
    import pygame

    lib = _libx11()
    if lib is None:
        return False
    display = _capsule_pointer(pygame.display.get_wm_info().get("display"), b"display")
    if not display:
        log.warning("cannot reach SDL's X connection: losing the X server will end the player")
        return False
    _lost.clear()
    lib.XSetIOErrorExitHandler(display, _EXIT_HANDLER, None)
    return True


def lost() -> bool:
    """True once an X connection of this process broke (the server went away)."""
    return _lost.is_set()


def server_reachable(name: str | None = None) -> bool:
    """Whether an X server answers on `name` (default $DISPLAY): open a connection and close it."""
    lib = _libx11()
    if lib is None:
        return False
    display = lib.XOpenDisplay(name.encode() if name else None)
    if not display:
        return False
    was_lost = _lost.is_set()
    lib.XSetIOErrorExitHandler(display, _EXIT_HANDLER, None)  # the server may go away right now
    lib.XCloseDisplay(display)
    if not was_lost:
        _lost.clear()  # a server that vanished during the probe is simply not there yet
    return True
