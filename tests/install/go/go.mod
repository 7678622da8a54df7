module vidkompy-install-check

go 1.19

require vidkompy v0.0.0

replace vidkompy => ../../../bindings/go
