package crs

// The GeoKeys hooks (geokeys.go) resolve EPSG codes through the generated
// table: a ProjectedCSTypeGeoKey or GeographicTypeGeoKey of any EPSG CRS,
// and a ProjectionGeoKey of any EPSG conversion.
func init() {
	lookupEPSGCRS = func(code int) (Definition, bool) {
		db, err := loadEPSG()
		if err != nil {
			return Definition{}, false
		}
		def, _, err := db.definition(code)
		return def, err == nil
	}
	lookupEPSGConversion = func(code int) (int, Params, bool) {
		db, err := loadEPSG()
		if err != nil {
			return 0, nil, false
		}
		m, p, err := db.conversion(code)
		return m, p, err == nil
	}
}
