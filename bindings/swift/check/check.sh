#!/usr/bin/env bash
# Checks the Swift package's module map (Sources/CVidkompy) with clang: imported from C and from
# Objective-C, built with warnings as errors, linked against the library and run.
#   bindings/swift/check/check.sh LIB_DIR    (the directory holding libvidkompy.so)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
lib_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-Wall -Wextra -Werror -fmodules -fmodules-cache-path="$work/cache"
  -fmodule-map-file="$here/../Sources/CVidkompy/module.modulemap" -I"$root/include"
  -L"$lib_dir" -Wl,-rpath,"$lib_dir")
# The module's `link "vidkompy"` autolinks where the platform does (Apple's linkers); ELF
# linkers do not, so the library is named here as SwiftPM names it from pkg-config.
clang -std=c99 "${flags[@]}" "$here/check_module.c" -lvidkompy -o "$work/from_c"
clang -x objective-c "${flags[@]}" "$here/check_module.m" -lvidkompy -o "$work/from_objc"
"$work/from_c"
"$work/from_objc"
echo "module CVidkompy: imported from C and Objective-C, linked and run"
