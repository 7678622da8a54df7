// A Go program using the binding through pkg-config against an installed library (CI runs it
// after cargo cinstall, with PKG_CONFIG_PATH at the install's pkgconfig folder): it finds a
// crop of a textured picture at its place.
package main

import (
	"fmt"
	"os"

	"vidkompy"
)

func main() {
	const w, h, cx, cy, cw, ch = 200, 120, 50, 30, 80, 60
	bg, err := vidkompy.NewFrame(vidkompy.Gray8, w, h)
	check(err)
	defer bg.Free()
	fg, err := vidkompy.NewFrame(vidkompy.Gray8, cw, ch)
	check(err)
	defer fg.Free()
	seed := uint32(7)
	for y := 0; y < h; y++ {
		row := bg.Plane(0)[y*bg.Stride(0):]
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			row[x] = byte(seed >> 24)
		}
	}
	// Smooth it a little, so that the placement search has structure to find.
	for y := h - 1; y > 0; y-- {
		row, above := bg.Plane(0)[y*bg.Stride(0):], bg.Plane(0)[(y-1)*bg.Stride(0):]
		for x := w - 1; x > 0; x-- {
			row[x] = byte((int(row[x]) + int(row[x-1]) + int(above[x])) / 3)
		}
	}
	for y := 0; y < ch; y++ {
		copy(fg.Plane(0)[y*fg.Stride(0):y*fg.Stride(0)+cw], bg.Plane(0)[(y+cy)*bg.Stride(0)+cx:])
	}
	p, err := vidkompy.Locate(nil, []*vidkompy.Frame{fg}, []*vidkompy.Frame{bg})
	check(err)
	if p.X != cx || p.Y != cy || p.Width != cw || p.Height != ch {
		fmt.Fprintf(os.Stderr, "placement %+v, want %dx%d at (%d, %d)\n", p, cw, ch, cx, cy)
		os.Exit(1)
	}
	fmt.Printf("go through pkg-config: %+v\n", p)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
