"""Run from outside the repository with the python of a venv where `pip install
./bindings/python` installed the package: the package's own library is loaded, and it finds a
crop of a picture at the right place. (Read from stdin, so that this folder is not on sys.path.)"""
import os, numpy as np, vidkompy
here = os.path.dirname(vidkompy.__file__)
assert vidkompy._lib._name == os.path.join(here, "libvidkompy.so"), vidkompy._lib._name
rng = np.random.default_rng(7)
bg = (rng.random((120, 200)) * 255).astype(np.uint8)
bg = ((bg.astype(np.float32) + np.roll(bg, 1, 0) + np.roll(bg, 1, 1)) / 3).astype(np.uint8)
fg = bg[30:90, 50:130].copy()
p = vidkompy.locate([vidkompy.Frame("gray8", [fg])], [vidkompy.Frame("gray8", [bg])])
assert (p.x, p.y) == (50, 30), (p.x, p.y)
print("installed package:", vidkompy._lib._name, "placement", p.x, p.y)
