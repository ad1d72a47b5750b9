package crs

// epsg_gen.go is the EPSG table of this package, generated from PROJ's
// proj.db (Debian packages proj-data and sqlite3; see gen/main.go). Run
// `go generate ./internal/crs` after a proj-data upgrade and commit the result
// with the updated version in EPSG-TERMS.md.

//go:generate go run ./gen -db /usr/share/proj/proj.db -o epsg_gen.go
