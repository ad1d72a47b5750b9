package crs

import (
	"fmt"
	"math"
)

// crsCase is a projected CRS of the EPSG dataset (parameters as in PROJ's
// proj.db, EPSG v10.076, normalised to radians and metres) or a synthetic
// one for a method no non-deprecated CRS uses. The round-trip test runs
// over area; the PROJ cross-check transforms the same points with
// gdaltransform from src to dst.
type crsCase struct {
	code   int // 0: synthetic
	name   string
	method int
	el     Ellipsoid
	p      Params
	pm     float64    // prime meridian of the base CRS, radians
	area   [4]float64 // area of use: lon min, lat min, lon max, lat max (Greenwich degrees)
	unit   float64    // metres per CRS axis unit as gdaltransform prints it (0: metre)
	src    string     // gdaltransform -s_srs; "" = EPSG:<geog>
	geog   int
	dst    string // gdaltransform -t_srs; "" = EPSG:<code>
	noPROJ string // why PROJ 9.1 cannot check the method, if so
	tol    float64
}

func (c crsCase) label() string {
	if c.code == 0 {
		return fmt.Sprintf("%d %s", c.method, c.name)
	}
	return fmt.Sprintf("%d EPSG:%d %s", c.method, c.code, c.name)
}

// projEllps is the ellipsoid in PROJ syntax.
func projEllps(el Ellipsoid) string {
	if el.InvF == 0 {
		return fmt.Sprintf("+R=%.10g", el.A)
	}
	return fmt.Sprintf("+a=%.10f +rf=%.13f", el.A, el.InvF)
}

func projLongLat(el Ellipsoid) string { return "+proj=longlat " + projEllps(el) + " +no_defs" }

// lccN is the cone constant of LCC 2SP, written independently of proj_conic.go.
func lccN(el Ellipsoid, lat1, lat2 float64) float64 {
	e := el.E()
	m := func(p float64) float64 { return math.Cos(p) / math.Sqrt(1-e*e*math.Sin(p)*math.Sin(p)) }
	t := func(p float64) float64 {
		es := e * math.Sin(p)
		return math.Tan(math.Pi/4-p/2) / math.Pow((1-es)/(1+es), e/2)
	}
	return (math.Log(m(lat1)) - math.Log(m(lat2))) / (math.Log(t(lat1)) - math.Log(t(lat2)))
}

func crsCases() []crsCase {
	wgs := WGS84
	grs := GRS80
	clarke1880Benoit := Ellipsoid{Name: "Clarke 1880 (Benoit)", A: 6378300.789, InvF: 293.4663155389811}
	grs67 := Ellipsoid{Name: "GRS 1967", A: 6378160.0, InvF: 298.247167427}

	// 9803: PROJ 9.1 maps the Belgian variant to plain LCC 2SP (ignoring
	// the 29.2985″ rotation, 746 m at the false origin); the rotation is
	// a shift of the longitude of origin by 29.2985″/n.
	belgN := lccN(tIntl1924, dms(49, 50, 0), dms(51, 10, 0))
	belgLon0 := (4+21.0/60+24.983/3600)*deg + belgiumBeta/belgN
	// 9830: variant C is stere with lat_ts and the false northing moved
	// by ρF = a·mF.
	mF := math.Cos(67*deg) / math.Sqrt(1-tIntl1924.E2()*math.Sin(67*deg)*math.Sin(67*deg))
	rhoF := tIntl1924.A * mF
	// 1044: variant C is merc with the false northing moved by a·k0·ψF.
	e := tKrassowsky.E()
	k0 := math.Cos(42*deg) / math.Sqrt(1-e*e*math.Sin(42*deg)*math.Sin(42*deg))
	psiF := math.Log(math.Tan(math.Pi/4+21*deg) * math.Pow((1-e*math.Sin(42*deg))/(1+e*math.Sin(42*deg)), e/2))

	return []crsCase{
		{code: 24200, name: "JAD69 / Jamaica National Grid", geog: 4242, method: 9801, el: tClarke1866,
			p:    Params{8801: 0.314159265358979, 8802: -1.3439035240356325, 8805: 1.0, 8806: 250000.0, 8807: 150000.0},
			area: [4]float64{-78.43, 17.64, -76.17, 18.58}},
		{code: 0, name: "LCC 1SP southern cone", method: 9801, el: grs, src: projLongLat(grs),
			dst:  "+proj=lcc +lat_1=-35 +lat_0=-35 +lon_0=140 +k_0=0.9995 +x_0=400000 +y_0=600000 " + projEllps(grs),
			p:    Params{8801: -35 * deg, 8802: 140 * deg, 8805: 0.9995, 8806: 400000, 8807: 600000},
			area: [4]float64{120, -50, 160, -20}},
		{code: 5070, name: "NAD83 / Conus Albers", geog: 4269, method: 9822, el: grs,
			p:    Params{8821: 0.4014257279586954, 8822: -1.6755160819145547, 8823: 0.5148721293383272, 8824: 0.7941248096574199, 8826: 0.0, 8827: 0.0},
			area: [4]float64{-124.79, 24.41, -66.91, 49.38}},
		{code: 3577, name: "GDA94 / Australian Albers", geog: 4283, method: 9822, el: grs,
			p:    Params{8821: 0.0, 8822: 2.303834612632513, 8823: -0.314159265358979, 8824: -0.628318530717958, 8826: 0.0, 8827: 0.0},
			area: [4]float64{112.85, -43.7, 153.69, -9.86}},
		{code: 6247, name: "MAGNA-SIRGAS / Bogota urban grid", geog: 4686, method: 1052, el: grs,
			p:    Params{8801: 0.08168989323275404, 8802: -1.2941021537151234, 8806: 92334.879, 8807: 109320.965, 1039: 2550.0},
			area: [4]float64{-74.27, 4.45, -73.98, 4.85}},
		{code: 28191, name: "Palestine 1923 / Palestine Grid", geog: 4281, method: 9806, el: clarke1880Benoit,
			p:    Params{8801: 0.5538644768276276, 8802: 0.6145667421719185, 8806: 170251.555, 8807: 126867.909},
			area: [4]float64{34.17, 29.18, 39.31, 33.38}},
		{code: 30200, name: "Trinidad 1903 / Trinidad Grid", geog: 4302, method: 9806, el: tClarke1858, unit: clarkesLink,
			p:    Params{8801: 0.18224146272907454, 8802: -1.0704686078898555, 8806: 86501.46392052, 8807: 65379.0134283},
			area: [4]float64{-62.09, 9.83, -60.0, 11.51}},
		{code: 2053, name: "Hartebeesthoek94 / Lo29", geog: 4148, method: 9808, el: wgs,
			p:    Params{8801: 0.0, 8802: 0.506145483078355, 8805: 1.0, 8806: 0.0, 8807: 0.0},
			area: [4]float64{27.99, -33.03, 30.01, -22.13}},
		{code: 3031, name: "WGS 84 / Antarctic Polar Stereographic", geog: 4326, method: 9829, el: wgs,
			p:    Params{8832: -1.2391837689159728, 8833: 0.0, 8806: 0.0, 8807: 0.0},
			area: [4]float64{-180.0, -90.0, 180.0, -60.0}},
		{code: 3413, name: "WGS 84 / NSIDC Sea Ice Polar Stereographic North", geog: 4326, method: 9829, el: wgs,
			p:    Params{8832: 1.2217304763960295, 8833: -0.7853981633974475, 8806: 0.0, 8807: 0.0},
			area: [4]float64{-180.0, 60.0, 180.0, 90.0}},
		{code: 26931, name: "NAD83 / Alaska zone 1", geog: 4269, method: 9812, el: grs,
			p:    Params{8811: 0.9948376736367678, 8812: -2.332923433499087, 8813: 5.639684198507692, 8814: 5.639684198507692, 8815: 0.9999, 8806: 5000000.0, 8807: -5000000.0},
			area: [4]float64{-141.0, 54.61, -129.99, 60.35}},
		{code: 3375, name: "GDM2000 / Peninsula RSO", geog: 4742, method: 9812, el: grs,
			p:    Params{8811: 0.06981317007977318, 8812: 1.784599160164202, 8813: 5.637863717220398, 8814: 5.639684198507692, 8815: 0.99984, 8806: 804671.0, 8807: 0.0},
			area: [4]float64{98.02, 1.13, 105.82, 7.81}},
		{code: 28992, name: "Amersfoort / RD New", geog: 4289, method: 9809, el: tBessel,
			p:    Params{8801: 0.9102967268932391, 8802: 0.09403203751960007, 8805: 0.9999079, 8806: 155000.0, 8807: 463000.0},
			area: [4]float64{3.2, 50.75, 7.22, 53.7}},
		{code: 3145, name: "ETRS89 / Faroe Lambert", geog: 4258, method: 9826, el: grs, src: projLongLat(grs),
			// PROJ's axis swap negates the false easting too: x_0 = −FE.
			dst:  "+proj=lcc +lat_1=62 +lat_0=62 +lon_0=-9 +k_0=1 +x_0=-500000 +y_0=500000 +axis=wnu " + projEllps(grs),
			p:    Params{8801: 1.0821041362364832, 8802: -0.1570796326794895, 8805: 1.0, 8806: 500000.0, 8807: 500000.0},
			area: [4]float64{-7.49, 61.33, -6.33, 62.41}},
		{code: 2056, name: "CH1903+ / LV95", geog: 4150, method: 9815, el: tBessel,
			p:    Params{8811: 0.8194740686761218, 8812: 0.12984522414316146, 8813: 1.5707963267948966, 8814: 1.5707963267948966, 8815: 1.0, 8816: 2600000.0, 8817: 1200000.0},
			area: [4]float64{5.96, 45.82, 10.49, 47.81}},
		{code: 23700, name: "HD72 / EOV", geog: 4237, method: 9815, el: grs67,
			p:    Params{8811: 0.8228248943093226, 8812: 0.3324602953246919, 8813: 1.5707963267948966, 8814: 1.5707963267948966, 8815: 0.99993, 8816: 650000.0, 8817: 200000.0},
			area: [4]float64{16.11, 45.74, 22.9, 48.58}},
		{code: 29873, name: "Timbalai 1948 / RSO Borneo (m)", geog: 4298, method: 9815, el: tEverest67,
			p:    Params{8811: 0.06981317007977318, 8812: 2.007128639793479, 8813: 0.9305366106424756, 8814: 0.9272952181230022, 8815: 0.99984, 8816: 590476.87, 8817: 442857.65},
			area: [4]float64{109.31, 0.85, 119.61, 7.67}},
		{code: 5041, name: "WGS 84 / UPS North (E,N)", geog: 4326, method: 9810, el: wgs,
			p:    Params{8801: 1.570796326794895, 8802: 0.0, 8805: 0.994, 8806: 2000000.0, 8807: 2000000.0},
			area: [4]float64{-180.0, 60.0, 180.0, 90.0}},
		{code: 5042, name: "WGS 84 / UPS South (E,N)", geog: 4326, method: 9810, el: wgs,
			p:    Params{8801: -1.570796326794895, 8802: 0.0, 8805: 0.994, 8806: 2000000.0, 8807: 2000000.0},
			area: [4]float64{-180.0, -90.0, 180.0, -60.0}},
		{code: 2985, name: "Petrels 1972 / Terre Adelie Polar Stereographic", geog: 4636, method: 9830, el: tIntl1924,
			src:  projLongLat(tIntl1924),
			dst:  fmt.Sprintf("+proj=stere +lat_0=-90 +lat_ts=-67 +lon_0=140 +x_0=300000 +y_0=%.6f %s", 200000-rhoF, projEllps(tIntl1924)),
			p:    Params{8832: -1.1693705988361995, 8833: 2.443460952792059, 8826: 300000.0, 8827: 200000.0},
			area: [4]float64{139.44, -66.78, 141.5, -66.1}},
		{code: 5880, name: "SIRGAS 2000 / Brazil Polyconic", geog: 4674, method: 9818, el: grs,
			p:    Params{8801: 0.0, 8802: -0.942477796076937, 8806: 5000000.0, 8807: 10000000.0},
			area: [4]float64{-74.01, -35.71, -25.28, 7.04}},
		{code: 5514, name: "S-JTSK / Krovak East North", geog: 4156, method: 1041, el: tBessel,
			p:    Params{8811: 0.8639379797371932, 8833: 0.43342343091192514, 1036: 0.5286277629901536, 8818: 1.3700834628155485, 8819: 0.9999, 8806: 0.0, 8807: 0.0},
			area: [4]float64{12.09, 47.73, 22.56, 51.06}},
		{code: 5513, name: "S-JTSK / Krovak", geog: 4156, method: 9819, el: tBessel,
			p:    Params{8811: 0.8639379797371932, 8833: 0.43342343091192514, 1036: 0.5286277629901536, 8818: 1.3700834628155485, 8819: 0.9999, 8806: 0.0, 8807: 0.0},
			area: [4]float64{12.09, 47.73, 22.56, 51.06}},
		{code: 2065, name: "S-JTSK (Ferro) / Krovak", geog: 4818, method: 9819, el: tBessel, pm: -0.3083415011856649,
			p:    Params{8811: 0.8639379797371932, 8833: 0.7417649320975901, 1036: 0.5286277629901536, 8818: 1.3700834628155485, 8819: 0.9999, 8806: 0.0, 8807: 0.0},
			area: [4]float64{12.09, 47.73, 22.56, 51.06}},
		{code: 5515, name: "S-JTSK/05 / Modified Krovak", geog: 5228, method: 1042, el: tBessel, noPROJ: "PROJ 9.1 has no Krovak Modified",
			p:    Params{8811: 0.8639379797371932, 8833: 0.43342343091192514, 1036: 0.5286277624568585, 8818: 1.3700834628155485, 8819: 0.9999, 8806: 5000000.0, 8807: 5000000.0},
			area: [4]float64{12.09, 48.58, 18.86, 51.06}},
		{code: 5516, name: "S-JTSK/05 / Modified Krovak East North", geog: 5228, method: 1043, el: tBessel, noPROJ: "PROJ 9.1 has no Krovak Modified",
			p:    Params{8811: 0.8639379797371932, 8833: 0.43342343091192514, 1036: 0.5286277624568585, 8818: 1.3700834628155485, 8819: 0.9999, 8806: 5000000.0, 8807: 5000000.0},
			area: [4]float64{12.09, 48.58, 18.86, 51.06}},
		{code: 6201, name: "NAD27 / Michigan Central", geog: 4267, method: 1051, el: tClarke1866, unit: usFoot,
			p:    Params{8821: 0.7560184543222105, 8822: -1.4718943358485512, 8823: 0.7711446411728278, 8824: 0.7976154681614086, 8826: 609601.2192024385, 8827: 0.0, 1038: 1.0000382},
			area: [4]float64{-87.06, 43.8, -82.27, 45.92}},
		{code: 8857, name: "WGS 84 / Equal Earth Greenwich", geog: 4326, method: 1078, el: wgs,
			p:    Params{8802: 0.0, 8806: 0.0, 8807: 0.0},
			area: [4]float64{-180.0, -90.0, 180.0, 90.0}},
		{code: 5641, name: "SIRGAS 2000 / Brazil Mercator", geog: 4674, method: 9805, el: grs,
			p:    Params{8823: -0.034906585039886556, 8802: -0.750491578357561, 8806: 5000000.0, 8807: 10000000.0},
			area: [4]float64{-51.64, -5.74, -32.43, 7.04}},
		{code: 3388, name: "Pulkovo 1942 / Caspian Sea Mercator", geog: 4284, method: 9805, el: tKrassowsky,
			p:    Params{8823: 0.7330382858376177, 8802: 0.8901179185171072, 8806: 0.0, 8807: 0.0},
			area: [4]float64{46.95, 37.35, 53.93, 46.97}},
		{code: 0, name: "Mercator variant C, Caspian Sea", method: 1044, el: tKrassowsky, src: projLongLat(tKrassowsky),
			dst:  fmt.Sprintf("+proj=merc +lat_ts=42 +lon_0=51 +x_0=0 +y_0=%.6f %s", -tKrassowsky.A*k0*psiF, projEllps(tKrassowsky)),
			p:    Params{8823: 42 * deg, 8802: 51 * deg, 8821: 42 * deg, 8826: 0, 8827: 0},
			area: [4]float64{46.95, 37.35, 53.93, 46.97}},
		{code: 32600, name: "WGS 84 / UTM grid system (northern hemisphere)", geog: 4326, method: 9824, el: wgs,
			noPROJ: "PROJ 9.1 has no zoned grid system (checked against +proj=utm by TestTMZonedAgainstUTM)",
			p:      Params{8801: 0.0, 8830: -3.14159265358979, 8831: 0.10471975511965967, 8805: 0.9996, 8806: 500000.0, 8807: 0.0},
			area:   [4]float64{-180.0, 0.0, 180.0, 84.0}},
		{code: 5017, name: "Lisbon 1890 / Portugal Bonne New", geog: 4666, method: 9828, el: tBessel, src: projLongLat(tBessel),
			dst:  "+proj=bonne +lat_1=39.6666666666667 +lon_0=-8.13190611111111 +x_0=0 +y_0=0 +axis=wsu " + projEllps(tBessel),
			p:    Params{8801: 0.6923139366244173, 8802: -0.14192853610193673, 8806: 0.0, 8807: 0.0},
			area: [4]float64{-9.56, 36.95, -6.19, 42.16}},
		{code: 0, name: "Bonne (north orientated)", method: 9827, el: tClarke1866, src: projLongLat(tClarke1866),
			dst:  "+proj=bonne +lat_1=40 +lon_0=-75 +x_0=1000 +y_0=2000 " + projEllps(tClarke1866),
			p:    Params{8801: 40 * deg, 8802: -75 * deg, 8806: 1000, 8807: 2000},
			area: [4]float64{-100, 10, -50, 70}},
		{code: 9311, name: "NAD27 / US National Atlas Equal Area", geog: 4267, method: 1027, el: tClarke1866,
			// PROJ 9.1 maps the method to the ellipsoidal laea; GN 7-2 and
			// PROJ ≥ 9.2 use the authalic sphere (+R_A).
			src:  projLongLat(tClarke1866),
			dst:  "+proj=laea +lat_0=45 +lon_0=-100 +x_0=0 +y_0=0 +R_A " + projEllps(tClarke1866),
			p:    Params{8801: 0.7853981633974475, 8802: -1.7453292519943278, 8806: 0.0, 8807: 0.0},
			area: [4]float64{167.65, 15.56, -65.69, 74.71}},
		{code: 0, name: "LAEA (9820) on a sphere", method: 9820, el: Ellipsoid{Name: "sphere", A: 6371000},
			src:  projLongLat(Ellipsoid{A: 6371000}),
			dst:  "+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +R=6371000",
			p:    Params{8801: 52 * deg, 8802: 10 * deg, 8806: 4321000, 8807: 3210000},
			area: [4]float64{-35, 25, 45, 85}},
		{code: 4087, name: "WGS 84 / World Equidistant Cylindrical", geog: 4326, method: 1028, el: wgs,
			noPROJ: "PROJ 9.1's eqc is spherical only (ellipsoidal since PROJ PR #4656); checked by TestEquidistantCylindricalAgainstPROJ",
			p:      Params{8823: 0.0, 8802: 0.0, 8806: 0.0, 8807: 0.0},
			area:   [4]float64{-180.0, -90.0, 180.0, 90.0}},
		{code: 0, name: "Equidistant Cylindrical (Spherical), R = a", method: 1029, el: wgs, src: projLongLat(wgs),
			dst:  "+proj=eqc +lat_ts=30 +lon_0=10 +x_0=100 +y_0=200 " + projEllps(wgs),
			p:    Params{8823: 30 * deg, 8802: 10 * deg, 8806: 100, 8807: 200},
			area: [4]float64{-170, -90, 190, 90}},
		{code: 0, name: "Equidistant Cylindrical (Spherical), deprecated method of EPSG:32662", method: 9823, el: wgs,
			src: projLongLat(wgs), dst: "+proj=eqc +lat_ts=0 +lon_0=0 " + projEllps(wgs),
			p:    Params{8801: 0, 8802: 0, 8806: 0, 8807: 0},
			area: [4]float64{-180, -90, 180, 90}},
		{code: 9895, name: "LUREF / Luxembourg TM (3D)", geog: 4181, method: 1111, el: tIntl1924,
			dst:  "EPSG:2169", // the 2D twin of the 3D CRS, same conversion
			p:    Params{8801: 0.8697557439105077, 8802: 0.10762863720631698, 8805: 1.0, 8806: 80000.0, 8807: 100000.0},
			area: [4]float64{5.73, 49.44, 6.53, 50.19}},
		{code: 31300, name: "BD72 / Belge Lambert 72", geog: 4313, method: 9803, el: tIntl1924,
			// PROJ 9.1 ignores the Belgian rotation: express it as lon_0.
			src: projLongLat(tIntl1924),
			dst: fmt.Sprintf("+proj=lcc +lat_0=90 +lon_0=%.15f +lat_1=49.8333333333333 +lat_2=51.1666666666667 +x_0=150000.01256 +y_0=5400088.4378 %s",
				belgLon0/deg, projEllps(tIntl1924)),
			p:    Params{8821: 1.5707963267948966, 8822: 0.07604294346370492, 8823: 0.8697557439105077, 8824: 0.8930268006037652, 8826: 150000.01256, 8827: 5400088.4378},
			area: [4]float64{2.5, 49.5, 6.4, 51.51}},
		{code: 27200, name: "NZGD49 / New Zealand Map Grid", geog: 4272, method: 9811, el: tIntl1924,
			p:    Params{8801: -0.7155849933176744, 8802: 3.019419605950187, 8806: 2510000.0, 8807: 6023150.0},
			area: [4]float64{166.37, -47.33, 178.63, -34.1}},
		{code: 22700, name: "Deir ez Zor / Levant Zone", geog: 4227, method: 9817, el: tClarke1880IGN,
			noPROJ: "PROJ 9.1 has no Lambert Conic Near-Conformal",
			p:      Params{8801: 0.6047565858160352, 8802: 0.651880475619882, 8805: 0.9996256, 8806: 300000.0, 8807: 300000.0},
			area:   [4]float64{35.04, 32.31, 42.38, 37.3}},
		{code: 3993, name: "Guam 1963 / Guam SPCS", geog: 4675, method: 9831, el: tClarke1866,
			p:    Params{8801: 0.2351388962201241, 8802: 2.52634228796041, 8806: 50000.0, 8807: 50000.0},
			area: [4]float64{144.58, 13.18, 145.01, 13.7}},
		{code: 3295, name: "Guam 1963 / Yap Islands", geog: 4675, method: 9832, el: tClarke1866,
			p:    Params{8801: 0.16662149314424698, 8802: 2.4114995139021786, 8806: 40000.0, 8807: 60000.0},
			area: [4]float64{137.99, 9.39, 138.27, 9.69}},
		{code: 3139, name: "Vanua Levu 1915 / Vanua Levu Grid", geog: 4748, method: 9833, el: tClarke1880ft, unit: link,
			p:    Params{8801: -0.28361600344907856, 8802: 3.1299571252431644, 8806: 251727.91554240003, 8807: 334519.953768},
			area: [4]float64{178.42, -17.07, -179.77, -16.1}},
		{code: 6933, name: "WGS 84 / NSIDC EASE-Grid 2.0 Global", geog: 4326, method: 9835, el: wgs,
			p:    Params{8823: 0.5235987755982984, 8802: 0.0, 8806: 0.0, 8807: 0.0},
			area: [4]float64{-180.0, -86.0, 180.0, 86.0}},
		{code: 0, name: "Lambert Cylindrical Equal Area (Spherical) on WGS 84", method: 9834, el: wgs, src: projLongLat(wgs),
			dst:  "+proj=cea +lat_ts=30 +lon_0=0 +R_A " + projEllps(wgs),
			p:    Params{8823: 30 * deg, 8802: 0, 8806: 0, 8807: 0},
			area: [4]float64{-180, -86, 180, 86}},
		{code: 0, name: "LCC 1SP variant B", method: 1102, el: tClarke1866, src: projLongLat(tClarke1866),
			// Same cone as JAD69 with the false origin at 17°N 76°W:
			// E = EF + r sin θ, N = NF + rF − r cos θ.
			noPROJ: "not in proj.db (EPSG v10.076); compared with LCC 1SP by TestLCC1SPVariantB",
			p:      Params{8801: 18 * deg, 8805: 1, 8821: 17 * deg, 8822: -76 * deg, 8826: 100000, 8827: 200000},
			area:   [4]float64{-78.43, 17.64, -76.17, 18.58}},
	}
}
