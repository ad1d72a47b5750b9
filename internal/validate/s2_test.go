package validate

import (
	"encoding/json"
	"fmt"
	"testing"
)

// Sentinel-2 L2A-like documents, shaped like stacgen's output: STAC 1.1.0 with
// projection v2, eo v2 and raster v2 (in bands), file v2.1 and authentication
// v1.1 (a signedUrl and an openIdConnect scheme).

const (
	extProj = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
	extEO   = "https://stac-extensions.github.io/eo/v2.0.0/schema.json"
	extRas  = "https://stac-extensions.github.io/raster/v2.0.0/schema.json"
	extFile = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
	extAuth = "https://stac-extensions.github.io/authentication/v1.1.0/schema.json"
)

type obj = map[string]any

type s2Band struct {
	key, common  string
	center, fwhm float64
	gsd          float64
}

var s2Bands = []s2Band{
	{"B02", "blue", 0.49, 0.098, 10}, {"B03", "green", 0.56, 0.045, 10}, {"B04", "red", 0.665, 0.038, 10},
	{"B05", "rededge071", 0.704, 0.019, 20}, {"B06", "rededge075", 0.74, 0.018, 20}, {"B07", "rededge078", 0.783, 0.028, 20},
	{"B08", "nir", 0.842, 0.145, 10}, {"B8A", "nir08", 0.865, 0.033, 20}, {"B11", "swir16", 1.61, 0.143, 20},
	{"B12", "swir22", 2.19, 0.242, 20},
}

func s2AuthSchemes() obj {
	return obj{
		"signer": obj{
			"type":        "signedUrl",
			"description": "Presigned URLs from the eocat signer",
			"flows": obj{"authorizationCode": obj{
				"authorizationApi": "https://signer.example.org/sign_urls",
				"method":           "POST",
				"responseField":    "hrefs",
				"parameters": obj{
					"urls":             obj{"in": "body", "required": true, "schema": obj{"type": "array", "items": obj{"type": "string"}}},
					"duration_seconds": obj{"in": "body", "required": false, "description": "validity", "schema": obj{"type": "integer"}},
				},
			}},
		},
		"oidc": obj{"type": "openIdConnect", "openIdConnectUrl": "https://auth.example.org/realms/eo/.well-known/openid-configuration"},
	}
}

func s2BandFields(b s2Band) obj {
	return obj{
		"name": b.key, "eo:common_name": b.common, "eo:center_wavelength": b.center, "eo:full_width_half_max": b.fwhm,
		"data_type": "uint16", "nodata": 0, "unit": "1", "raster:bits_per_sample": 15, "raster:scale": 0.0001,
		"raster:offset": -0.1, "raster:spatial_resolution": b.gsd,
		"statistics": obj{"minimum": 1, "maximum": 12000, "mean": 1532.5, "stddev": 820.1, "valid_percent": 99.5},
	}
}

// s2Item returns the i-th item of tile 31TCJ, with links laid out as
// <collection>/<id>/<id>.json.
func s2Item(i int) obj {
	w, s := 0.5+0.001*float64(i%100), 43.2
	e, n := w+1.37, s+1.0
	id := fmt.Sprintf("S2A_MSIL2A_20240%d%02dT105431_R051_T31TCJ", 1+i%9, 1+i%28)
	assets := obj{}
	for _, b := range s2Bands {
		size := 10980 * 10 / int(b.gsd)
		assets[b.key] = obj{
			"href": fmt.Sprintf("https://s3.example.org/s2/%s/%s.tif", id, b.key), "type": "image/tiff; application=geotiff; profile=cloud-optimized",
			"title": b.key, "roles": []any{"data"}, "gsd": b.gsd,
			"proj:shape": []any{size, size}, "proj:transform": []any{b.gsd, 0, 300000, 0, -b.gsd, 4900020},
			"bands":     []any{s2BandFields(b)},
			"file:size": 123456789 + i, "file:checksum": "1220" + fmt.Sprintf("%064x", i+1), "auth:refs": []any{"signer"},
		}
	}
	assets["SCL"] = obj{"href": "https://s3.example.org/s2/" + id + "/SCL.tif", "type": "image/tiff; application=geotiff", "roles": []any{"data"},
		"gsd": 20, "proj:shape": []any{5490, 5490}, "bands": []any{obj{"name": "SCL", "data_type": "uint8", "nodata": 0, "raster:bits_per_sample": 8}},
		"file:size": 1234567, "auth:refs": []any{"signer"}}
	assets["visual"] = obj{"href": "https://s3.example.org/s2/" + id + "/TCI.tif", "type": "image/tiff; application=geotiff; profile=cloud-optimized",
		"roles": []any{"visual"}, "proj:shape": []any{10980, 10980}, "file:size": 98765432, "auth:refs": []any{"signer"},
		"bands": []any{obj{"name": "red", "eo:common_name": "red"}, obj{"name": "green", "eo:common_name": "green"}, obj{"name": "blue", "eo:common_name": "blue"}}}
	assets["preview"] = obj{"href": "https://s3.example.org/s2/" + id + "/preview.jpg", "type": "image/jpeg", "roles": []any{"thumbnail"}, "file:size": 34567}
	return obj{
		"type": "Feature", "stac_version": "1.1.0", "stac_extensions": []any{extProj, extEO, extRas, extFile, extAuth},
		"id": id, "collection": "sentinel-2-l2a",
		"geometry": obj{"type": "Polygon", "coordinates": []any{[]any{
			[]any{w, s}, []any{e, s + 0.01}, []any{e - 0.02, n}, []any{w + 0.01, n - 0.005}, []any{w, s}}}},
		"bbox": []any{w, s, e, n},
		"properties": obj{
			"datetime": fmt.Sprintf("2024-0%d-%02dT10:54:31.024000Z", 1+i%9, 1+i%28), "created": "2024-10-01T00:00:00Z",
			"platform": "sentinel-2a", "constellation": "sentinel-2", "instruments": []any{"msi"},
			"eo:cloud_cover": float64(i%101) * 0.99, "s2:mgrs_tile": "31TCJ", "s2:processing_baseline": "05.10",
			"proj:code": "EPSG:32631", "auth:schemes": s2AuthSchemes(),
		},
		"links": []any{
			obj{"rel": "root", "href": "../../catalog.json", "type": "application/json"},
			obj{"rel": "parent", "href": "../collection.json", "type": "application/json"},
			obj{"rel": "collection", "href": "../collection.json", "type": "application/json"},
			obj{"rel": "license", "href": "https://sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice", "auth:refs": []any{}},
		},
		"assets": assets,
	}
}

// s2Collection returns the collection holding items 0..n-1.
func s2Collection(n int) obj {
	itemAssets := obj{}
	var bands []any
	for _, b := range s2Bands {
		bf := s2BandFields(b)
		delete(bf, "statistics")
		itemAssets[b.key] = obj{"type": "image/tiff; application=geotiff; profile=cloud-optimized", "roles": []any{"data"},
			"title": b.key, "gsd": b.gsd, "proj:shape": []any{10980 * 10 / int(b.gsd), 10980 * 10 / int(b.gsd)}, "bands": []any{bf}}
		bands = append(bands, obj{"name": b.key, "eo:common_name": b.common, "eo:center_wavelength": b.center})
	}
	links := []any{
		obj{"rel": "root", "href": "../catalog.json", "type": "application/json"},
		obj{"rel": "parent", "href": "../catalog.json", "type": "application/json"},
	}
	for i := range n {
		id := s2Item(i)["id"].(string)
		links = append(links, obj{"rel": "item", "href": "./" + id + "/" + id + ".json", "type": "application/geo+json"})
	}
	return obj{
		"type": "Collection", "stac_version": "1.1.0", "stac_extensions": []any{extProj, extEO, extRas, extFile, extAuth},
		"id": "sentinel-2-l2a", "title": "Sentinel-2 L2A", "description": "Sentinel-2 Level-2A surface reflectance, tile 31TCJ",
		"license": "proprietary", "keywords": []any{"sentinel", "copernicus"},
		"providers": []any{obj{"name": "ESA", "roles": []any{"producer", "licensor"}, "url": "https://sentinel.esa.int"}},
		"extent": obj{
			"spatial":  obj{"bbox": []any{[]any{0.4, 43.1, 2.1, 44.3}}},
			"temporal": obj{"interval": []any{[]any{"2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"}}},
		},
		"summaries": obj{
			"platform": []any{"sentinel-2a", "sentinel-2b"}, "constellation": []any{"sentinel-2"}, "gsd": []any{10, 20, 60},
			"eo:cloud_cover": obj{"minimum": 0, "maximum": 100}, "proj:code": []any{"EPSG:32631"}, "bands": bands,
		},
		"item_assets":  itemAssets,
		"assets":       obj{"thumbnail": obj{"href": "./thumbnail.png", "type": "image/png", "roles": []any{"thumbnail"}, "file:size": 2048}},
		"auth:schemes": s2AuthSchemes(),
		"links":        links,
	}
}

func s2Catalog() obj {
	return obj{
		"type": "Catalog", "stac_version": "1.1.0", "stac_extensions": []any{extAuth, extFile},
		"id": "eocat", "description": "eocat test catalog", "auth:schemes": s2AuthSchemes(),
		"links": []any{
			obj{"rel": "root", "href": "./catalog.json", "type": "application/json"},
			obj{"rel": "self", "href": "https://data.example.org/catalog.json", "type": "application/json"},
			obj{"rel": "child", "href": "./S2/collection.json", "type": "application/json", "file:size": 4096},
		},
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
