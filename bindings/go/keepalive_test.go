package vidkompy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// Every function that hands a handle's C pointer (h.c) to a C call keeps the handle alive until
// the call returns: runtime.KeepAlive(h) in the same function. (&h.c is a Go pointer into h,
// which cgo keeps alive for the call by itself: constructors' out-pointers, frames.) Without it the
// handle may be finalized, and its C memory freed, while C still reads it (a GC-timing bug that
// a stress test finds only now and then; this check finds a missing KeepAlive every time).
func TestEveryCgoCallKeepsItsHandlesAlive(t *testing.T) {
	fset := token.NewFileSet()
	for _, name := range []string{"vidkompy.go", "callbacks.go"} {
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkKeepAlive(t, file)
	}
}

func checkKeepAlive(t *testing.T, file *ast.File) {
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil || fn.Name.Name == "Close" || fn.Name.Name == "Free" || fn.Name.Name == "settingsPtr" {
			continue
		}
		handed := map[string]bool{} // handles whose .c goes into a C call
		kept := map[string]bool{}   // runtime.KeepAlive(x)
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "runtime" && sel.Sel.Name == "KeepAlive" {
					if id, ok := call.Args[0].(*ast.Ident); ok {
						kept[id.Name] = true
					}
					return true
				}
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "C" {
					for _, arg := range call.Args {
						ast.Inspect(arg, func(a ast.Node) bool {
							if u, ok := a.(*ast.UnaryExpr); ok && u.Op == token.AND {
								return false
							}
							if s, ok := a.(*ast.SelectorExpr); ok && s.Sel.Name == "c" {
								if id, ok := s.X.(*ast.Ident); ok {
									handed[id.Name] = true
								}
							}
							if c, ok := a.(*ast.CallExpr); ok {
								if f, ok := c.Fun.(*ast.Ident); ok && f.Name == "settingsPtr" {
									if id, ok := c.Args[0].(*ast.Ident); ok {
										handed[id.Name] = true
									}
								}
							}
							return true
						})
					}
				}
			}
			return true
		})
		for name := range handed {
			if !kept[name] {
				t.Errorf("%s: %s's C pointer goes into a C call without runtime.KeepAlive(%s)", fn.Name.Name, name, name)
			}
		}
	}
}
