#!/usr/bin/env python3
"""meson dist script: an sdist holds a real copy of libkeyport's sources where the source tree has
the link subprojects/libkeyport/libcore -> ../../../../libcore, so that the sdist builds on its own
(a link out of the archive would be dropped, and does not extract everywhere)."""

import os
import shutil
import sys

src = os.path.realpath(os.path.join(os.environ["MESON_SOURCE_ROOT"], "subprojects", "libkeyport", "libcore"))
dist = os.path.join(os.environ["MESON_PROJECT_DIST_ROOT"], "subprojects", "libkeyport", "libcore")
if not os.path.isfile(os.path.join(src, "meson.build")):
    sys.exit(f"dist_libcore.py: {src} does not hold libkeyport's meson.build")
if os.path.islink(dist) or os.path.isfile(dist):
    os.unlink(dist)
elif os.path.isdir(dist):
    shutil.rmtree(dist)
shutil.copytree(src, dist, ignore=shutil.ignore_patterns("__pycache__", "*.o", "*.so", "*.a"))
