module vidkompy

go 1.19
