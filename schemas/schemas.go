package schemas

import "embed"

// FS holds the schemas shipped with the project: the project's own *.json,
// official.lock.json and compact/<host>/<path>.
//
//go:embed *.json compact
var FS embed.FS
