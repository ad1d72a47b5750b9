package crs

// IsGeographic reports whether code is a supported geographic CRS (degrees),
// so callers know not to read its units as metres.
func IsGeographic(code int) bool {
	t, err := ForEPSG(code)
	if err != nil {
		return false
	}
	c, ok := t.(*CRS)
	return ok && c.kind == kindGeographic
}
