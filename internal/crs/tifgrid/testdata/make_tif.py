#!/usr/bin/env python3
"""Write a small GeoTIFF from a JSON description (tests of package tifgrid).

    make_tif.py out.tif '[{"w": 3, "h": 2, "type": "Float32",
        "gt": [0, 1, 0, 2, 0, -1], "srs": "EPSG:4326", "point": true,
        "md": {"TYPE": "HORIZONTAL_OFFSET"}, "nodata": -999,
        "bands": [{"values": [...], "desc": "latitude_offset",
                   "unit": "arc-second", "md": {}, "scale": 1, "offset": 0}]}]'

Each element of the list is an IFD, appended in order.
"""

import array
import json
import sys

from osgeo import gdal, osr

gdal.UseExceptions()


def main():
    out, spec = sys.argv[1], json.loads(sys.argv[2])
    for i, im in enumerate(spec):
        w, h = im["w"], im["h"]
        dtype = {"Float32": gdal.GDT_Float32, "UInt16": gdal.GDT_UInt16}[im.get("type", "Float32")]
        ds = gdal.GetDriverByName("MEM").Create("", w, h, len(im["bands"]), dtype)
        srs = osr.SpatialReference()
        srs.SetFromUserInput(im.get("srs", "EPSG:4326"))
        ds.SetSpatialRef(srs)
        ds.SetGeoTransform(im["gt"])
        if im.get("point", True):
            ds.SetMetadataItem("AREA_OR_POINT", "Point")
        for k, v in im.get("md", {}).items():
            ds.SetMetadataItem(k, v)
        for b, band in enumerate(im["bands"]):
            rb = ds.GetRasterBand(b + 1)
            code = "f" if dtype == gdal.GDT_Float32 else "H"
            rb.WriteRaster(0, 0, w, h, array.array(code, band["values"]).tobytes())
            if "desc" in band:
                rb.SetDescription(band["desc"])
            if "unit" in band:
                rb.SetUnitType(band["unit"])
            if "scale" in band:
                rb.SetScale(band["scale"])
            if "offset" in band:
                rb.SetOffset(band["offset"])
            for k, v in band.get("md", {}).items():
                rb.SetMetadataItem(k, v)
            if "nodata" in im:
                rb.SetNoDataValue(im["nodata"])
        opts = ["COMPRESS=DEFLATE", "INTERLEAVE=BAND"]
        if i > 0:
            opts.append("APPEND_SUBDATASET=YES")
        gdal.GetDriverByName("GTiff").CreateCopy(out, ds, options=opts)


if __name__ == "__main__":
    main()
