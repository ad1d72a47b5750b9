#!/usr/bin/env python3
"""Write an NTv2 grid (.gsb) as a PROJ GeoTIFF horizontal offset grid.

Used by the tests of package tifgrid (with Debian's python3-gdal). By
default the output has what PROJ-data's grid_tools/ntv2_to_gtiff.py puts in
its .tif files (fr_ign_ntf_r93.tif and the like): one IFD per NTv2
sub-grid, in file order; Float32 samples latitude_offset, longitude_offset
(its sign flipped to positive_value=east) and the two accuracies, in
arc-seconds; PixelIsPoint georeferencing in the source CRS; grid_name,
parent_grid_name, TYPE=HORIZONTAL_OFFSET, number_of_nested_grids and
target_crs_epsg_code items; DEFLATE with the floating-point predictor,
planar configuration "band", tiles of 256 × 256 when both dimensions exceed
256, else one strip. (The layout optimisation of cloud_optimize_gtiff.py,
which only moves bytes, is not reproduced.)

The other options vary the encoding to exercise the reader: compression,
predictor, interleave, blocks, byte order, BigTIFF, uint16 storage with
scale and offset, the sign and unit conventions, names or not, metadata on
the first IFD only (as PROJ-data does for files of more than 50
sub-grids), bottom-up rows.
"""

import argparse
import array

from osgeo import gdal, osr

gdal.UseExceptions()


def args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--source-crs", required=True)
    p.add_argument("--target-crs", required=True)
    p.add_argument("--compress", default="DEFLATE")
    p.add_argument("--predictor", help="default 3, 2 with --uint16; none without compression")
    p.add_argument("--interleave", default="BAND")
    p.add_argument("--tile", type=int, default=0, help="tile size (0: PROJ-data's choice)")
    p.add_argument("--strip-rows", type=int, default=0)
    p.add_argument("--endianness", default="LITTLE")
    p.add_argument("--bigtiff", action="store_true")
    p.add_argument("--positive", choices=["east", "west"], default="east")
    p.add_argument("--unit", choices=["arc-second", "degree"], default="arc-second")
    p.add_argument("--uint16", action="store_true")
    p.add_argument("--bands", type=int, choices=[2, 4], default=4)
    p.add_argument("--no-names", action="store_true")
    p.add_argument("--compact", action="store_true")
    p.add_argument("--bottom-up", action="store_true")
    return p.parse_args()


def main():
    a = args()
    src = gdal.Open(a.src)
    names = [a.src] + [s[0] for s in src.GetSubDatasets()]
    nested = {}
    for n in names:
        ds = gdal.Open(n)
        parent = (ds.GetMetadataItem("PARENT") or "NONE").strip()
        if parent != "NONE":
            nested[parent] = nested.get(parent, 0) + 1
    srs = osr.SpatialReference()
    srs.SetFromUserInput(a.source_crs)
    target = osr.SpatialReference()
    target.SetFromUserInput(a.target_crs)
    labels = ["latitude_offset", "longitude_offset", "latitude_offset_accuracy", "longitude_offset_accuracy"]

    for i, n in enumerate(names):
        ds = gdal.Open(n)
        w, h = ds.RasterXSize, ds.RasterYSize
        full = i == 0 or not a.compact
        dtype = gdal.GDT_UInt16 if a.uint16 else gdal.GDT_Float32
        mem = gdal.GetDriverByName("MEM").Create("", w, h, a.bands, dtype)
        mem.SetSpatialRef(srs)
        mem.SetMetadataItem("AREA_OR_POINT", "Point")
        name = (ds.GetMetadataItem("SUB_NAME") or "").strip()
        parent = (ds.GetMetadataItem("PARENT") or "NONE").strip()
        if name and not a.no_names:
            mem.SetMetadataItem("grid_name", name)
        if parent == "NONE":
            mem.SetMetadataItem("TYPE", "HORIZONTAL_OFFSET")
        elif not a.no_names:
            mem.SetMetadataItem("parent_grid_name", parent)
        if name in nested:
            mem.SetMetadataItem("number_of_nested_grids", str(nested[name]))
        if full:
            mem.SetMetadataItem("target_crs_epsg_code", target.GetAuthorityCode(None))

        for b in range(a.bands):
            band = mem.GetRasterBand(b + 1)
            v = array.array("f", ds.GetRasterBand(b + 1).ReadRaster(buf_type=gdal.GDT_Float32))
            if b == 1 and a.positive == "east":  # NTv2 longitudes are positive west
                v = array.array("f", (-x for x in v))
            if b < 2 and a.unit == "degree":
                v = array.array("f", (x / 3600 for x in v))
            if a.bottom_up:
                rows = [v[r * w:(r + 1) * w] for r in range(h)]
                v = array.array("f")
                for r in reversed(rows):
                    v.extend(r)
            if a.uint16:
                lo, hi = min(v), max(v)
                scale = (hi - lo) / 65535 or 1.0
                raw = array.array("H", (int(round((x - lo) / scale)) for x in v))
                band.WriteRaster(0, 0, w, h, raw.tobytes())
                band.SetOffset(lo)
                band.SetScale(scale)
            else:
                band.WriteRaster(0, 0, w, h, v.tobytes())
            if full:
                band.SetDescription(labels[b])
                band.SetUnitType(a.unit if b < 2 else "arc-second")
                if b == 1:
                    band.SetMetadataItem("positive_value", a.positive)

        gt = list(ds.GetGeoTransform())
        if a.bottom_up:
            gt = [gt[0], gt[1], 0.0, gt[3] + gt[5] * h, 0.0, -gt[5]]
        mem.SetGeoTransform(gt)

        opts = ["PHOTOMETRIC=MINISBLACK", "COMPRESS=" + a.compress, "INTERLEAVE=" + a.interleave,
                "GEOTIFF_VERSION=1.1", "ENDIANNESS=" + a.endianness]
        predictor = a.predictor or ("2" if a.uint16 else "3")
        if a.compress != "NONE":
            opts.append("PREDICTOR=" + predictor)
        if a.bigtiff:
            opts.append("BIGTIFF=YES")
        if a.tile:
            opts += ["TILED=YES", "BLOCKXSIZE=%d" % a.tile, "BLOCKYSIZE=%d" % a.tile]
        elif a.strip_rows:
            opts.append("BLOCKYSIZE=%d" % a.strip_rows)
        elif w > 256 and h > 256:
            opts.append("TILED=YES")
        else:
            opts.append("BLOCKYSIZE=%d" % h)
        if i > 0:
            opts.append("APPEND_SUBDATASET=YES")
        gdal.GetDriverByName("GTiff").CreateCopy(a.dst, mem, options=opts)


if __name__ == "__main__":
    main()
