package crs

// IsGeographic reports whether code is a supported geographic CRS (angular
// units: degrees, or grads for a few French CRSs), so callers know not to
// read its units as metres.
func IsGeographic(code int) bool {
	db, err := loadEPSG()
	if err != nil {
		return false
	}
	if _, ok := db.geog[code]; !ok {
		return false
	}
	_, err = lookup(code)
	return err == nil
}
