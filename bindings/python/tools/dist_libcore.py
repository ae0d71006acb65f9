#!/usr/bin/env python3
"""meson dist script: an sdist holds real copies of libkeyport's and libkeyport-client's sources
where the source tree has the links subprojects/libkeyport/libcore -> ../../../../libcore and
subprojects/libkeyport/libclient -> ../../../../libclient, so that the sdist builds on its own
(a link out of the archive would be dropped, and does not extract everywhere)."""

import os
import shutil
import sys

for name in ("libcore", "libclient"):
    src = os.path.realpath(os.path.join(os.environ["MESON_SOURCE_ROOT"], "subprojects", "libkeyport", name))
    dist = os.path.join(os.environ["MESON_PROJECT_DIST_ROOT"], "subprojects", "libkeyport", name)
    if not os.path.isfile(os.path.join(src, "meson.build")):
        sys.exit(f"dist_libcore.py: {src} does not hold {name}'s meson.build")
    if os.path.islink(dist) or os.path.isfile(dist):
        os.unlink(dist)
    elif os.path.isdir(dist):
        shutil.rmtree(dist)
    shutil.copytree(src, dist, ignore=shutil.ignore_patterns("__pycache__", "*.o", "*.so", "*.a"))
