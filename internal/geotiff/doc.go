// Package geotiff reads the header of a TIFF, BigTIFF, GeoTIFF or Cloud
// Optimized GeoTIFF (COG) through an io.ReaderAt, without decoding any pixel
// data. ReadImages and Images.Samples also decode the samples of every IFD,
// for small rasters such as PROJ's GeoTIFF datum shift grids (see Samples
// for the encodings; memory is capped by ImageOptions.MaxSampleBytes).
//
// # Responsibility
//
// The package turns the IFDs, GeoKeys and GDAL private tags of a raster into
// an Info: size, bands, data type, nodata, compression, tiling, overviews,
// masks, CRS codes and geotransform. It performs no I/O of its own: every byte
// comes from the io.ReaderAt it is given, and because in stacgen that reader
// issues one HTTP range request per ReadAt, the reader keeps the number of
// calls as low as possible. It reads a first block (Options.FirstBlock, 16 KiB
// by default, or the whole file when smaller), parses every IFD found there,
// and only then follows IFD offsets and out-of-block tag values, coalescing
// nearby ranges into one read and caching everything it has read. A COG
// written by GDAL (with its "ghost header") is fully parsed with one read.
//
// Neighbours: internal/source supplies the io.ReaderAt (S3, HTTP, local
// files); internal/crs consumes Info.GeoTransform, Info.EPSG and
// Info.VerticalEPSG to compute footprints, and Info.GeoKeys (the whole GeoKey
// directory, for user-defined CRSs) and Info.GCPList (ground control points,
// as GDAL reports them) when there is no EPSG code or no geotransform; this
// package does not import internal/crs (crs.GeoKeys(info.GeoKeys) converts
// the directory). internal/catalog maps Info to STAC fields (raster:bands,
// proj:*, the COG media type).
//
// # COG definition
//
// Info.COG is true when the file has a Cloud Optimized layout:
//
//   - the full-resolution image (IFD 0) and every other IFD are tiled; a
//     strip-organised file is never a COG;
//   - every IFD (main image, overviews, masks) lies before the first tile
//     data offset of the file, so a client gets all directories with the
//     first ranged read(s). GDAL's LAYOUT=COG "ghost header" is not required
//     (rasterio's cogeo.tif has none and is valid);
//   - internal overviews are present when the image is larger than 512 px in
//     either dimension (smaller images may have none);
//   - the overviews come in IFD order from the largest to the smallest and are
//     all smaller than the full-resolution image; there is no second
//     full-resolution image.
//
// This follows GDAL's validate_cloud_optimized_geotiff.py, with two
// deliberate differences: a file larger than 512 px without overviews is not
// a COG here (the validator only warns), and external .ovr overviews are
// invisible to this package (the validator rejects them).
//
// # Safety
//
// Headers are untrusted. The number of IFDs (Options.MaxIFDs), the entries
// per IFD, the bytes of any decoded tag value (Options.MaxTagBytes) and the
// total bytes read (Options.MaxReadBytes) are capped, offsets are checked
// against the file size, IFD loops are detected, and every error names the
// IFD, its offset and the tag involved.
package geotiff
