package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/catalog"
	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/crs/tifgrid"
	"gitlab.com/eocat/eocat/internal/publish"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/validate"
	"gitlab.com/eocat/eocat/site"
	"gitlab.com/eocat/eocat/templates"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build the catalog described by a configuration file",
		UsageText: "stacgen build --config FILE [--out DIR] [--base-url URL] [--incremental] [--wait-lock DURATION] [--schemas DIR] [--concurrency N] [--list-concurrency N]",
		Description: `Lists every collection's source, groups objects into items, reads raster
headers (one ranged read each), validates every document against the official
STAC schemas, then swaps the new catalog into --out. A failed or interrupted
build leaves the previous --out untouched.

--incremental remembers what was read (in a hidden file beside --out) and
re-reads only objects whose ETag or size changed; deleted objects drop
their items. A build without --incremental removes that state.

Builds into one --out are exclusive: a second one fails at once naming the
running build's pid (lock file .<out>.stacgen-lock beside --out), or waits
for it with --wait-lock. The lock dies with its process.

Two settings bound the work in flight: --concurrency the items built at
once (each reads its rasters' headers one after the other, so also the
header reads in flight), --list-concurrency the listing requests each
s3:// source has in flight (local folders are walked by one goroutine).

EXIT STATUS
  0  the catalog was published (or was up to date)
  1  an error: bad configuration, unreachable storage, an item that cannot be
     built (unreadable raster, unsupported CRS …), budget exceeded, interrupted
  2  the catalog is invalid: every failure is a document that does not pass
     the STAC schemas or the per-document checks (nothing is published)`,
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: flagConfig, Aliases: []string{"c"}, EnvVars: envVar(flagConfig), Required: true, Usage: "YAML configuration `FILE` (see schemas/stacgen-config.schema.json)"},
			&cli.StringFlag{Name: flagOut, Aliases: []string{"o"}, EnvVars: envVar(flagOut), Value: "public", Usage: "output `DIR`, replaced atomically"},
			&cli.StringFlag{Name: flagBaseURL, EnvVars: append(envVar(flagBaseURL), "CI_PAGES_URL"), Usage: "absolute `URL` the catalog is published at; the root gets an absolute self link"},
			&cli.BoolFlag{Name: flagIncremental, EnvVars: envVar(flagIncremental), Usage: "re-read only objects that changed since the last build"},
			&cli.IntFlag{Name: flagConcurrency, EnvVars: envVar(flagConcurrency), Value: catalog.DefaultConcurrency, Usage: fmt.Sprintf("items built at once, so also raster header reads in flight (`N`, 1…%d; listing has its own --%s)", maxConcurrency, flagListConc)},
			&cli.IntFlag{Name: flagListConc, EnvVars: envVar(flagListConc), Value: source.DefaultListConcurrency, Usage: fmt.Sprintf("listing requests in flight per s3:// source: first-level prefixes, or key ranges when there are many, listed at once (`N`, 1…%d)", source.MaxListConcurrency)},
			&cli.BoolFlag{Name: flagSkipInvalid, EnvVars: envVar(flagSkipInvalid), Usage: "publish the other items when some fail (default: fail the build)"},
			&cli.BoolFlag{Name: flagPages, EnvVars: envVar(flagPages), Value: true, Usage: "render the HTML site beside the JSON (index.html per catalog, collection and item; --pages=false for JSON only)"},
			&cli.BoolFlag{Name: flagParquet, EnvVars: envVar(flagParquet), Value: true, Usage: "write each collection's items as stac-geoparquet (<collection>/items.parquet, linked as a collection asset): the search of the site and DuckDB, GeoPandas or rustac read it (--parquet=false to skip)"},
			&cli.StringFlag{Name: flagTemplates, EnvVars: envVar(flagTemplates), Usage: "folder of page templates overriding the embedded ones file by file (a data centre's own look; see templates/)"},
			&cli.StringFlag{Name: flagSite, EnvVars: envVar(flagSite), Usage: "folder of static files (CSS, JavaScript, images) overriding the embedded ones file by file, published under _static/ (see site/static/)"},
			&cli.Int64Flag{Name: flagMaxFiles, EnvVars: envVar(flagMaxFiles), Value: 200_000, Usage: "fail when the output would hold more than `N` files and folders (GitLab.com Pages' limit)"},
			&cli.StringFlag{Name: flagMaxBytes, EnvVars: envVar(flagMaxBytes), Value: "1GB", Usage: "fail when the output would be larger than `SIZE` (e.g. 1GB, 500MB, 2GiB; GitLab.com Pages' limit is 1 GB)"},
			&cli.StringFlag{Name: flagProjGrids, EnvVars: envVar(flagProjGrids), Usage: "folder of PROJ's datum grid files (`DIR`, e.g. /usr/share/proj from Debian's proj-data, or a PROJ_DATA folder): datum shifts that need a horizontal shift grid, as an NTv2 file or a PROJ-data GeoTIFF (NTF → RGF93 with ntf_r93.gsb or fr_ign_ntf_r93.tif, DHDN → ETRS89 with BETA2007.gsb or de_adv_BETA2007.tif, NZGD49 …), use it as PROJ does; without it, the EPSG dataset's Helmert transformations (accurate to metres) stand in, as in PROJ without grids"},
			&cli.DurationFlag{Name: flagWaitLock, EnvVars: envVar(flagWaitLock), Usage: "when another build is writing the same --out, wait up to `DURATION` (e.g. 10m) for it to finish instead of failing at once"},
		}, schemaFlags()...), logFlags()...),
		Action: runBuild,
	}
}

func runBuild(c *cli.Context) error {
	log, err := newLogger(c, c.App.ErrWriter)
	if err != nil {
		return err
	}
	cfg, o, err := buildSetup(c, log)
	if err != nil {
		return err
	}
	return build(c.Context, log, cfg, o)
}

// buildSetup checks build's flags and turns them into the configuration
// and the build's options.
func buildSetup(c *cli.Context, log *slog.Logger) (*config.Config, buildOptions, error) {
	if err := checkRange(c, flagConcurrency, maxConcurrency); err != nil {
		return nil, buildOptions{}, err
	}
	if err := checkRange(c, flagListConc, source.MaxListConcurrency); err != nil {
		return nil, buildOptions{}, err
	}
	baseURL := c.String(flagBaseURL)
	if baseURL != "" && !strings.HasPrefix(baseURL, "https://") && !strings.HasPrefix(baseURL, "http://") {
		return nil, buildOptions{}, fmt.Errorf("--%s must be an absolute http(s) URL, got %q", flagBaseURL, baseURL)
	}
	maxBytes, err := parseSize(c.String(flagMaxBytes))
	if err != nil {
		return nil, buildOptions{}, fmt.Errorf("--%s: %w", flagMaxBytes, err)
	}
	cfg, err := config.Load(c.String(flagConfig))
	if err != nil {
		return nil, buildOptions{}, err
	}
	pages, err := newRenderer(c, cfg, baseURL)
	if err != nil {
		return nil, buildOptions{}, err
	}
	var grids *crs.Grids
	if dir := c.String(flagProjGrids); dir != "" {
		if grids, err = crs.NewGrids(os.DirFS(dir), dir); err != nil {
			return nil, buildOptions{}, fmt.Errorf("--%s: %w", flagProjGrids, err)
		}
		tifgrid.Register(grids) // PROJ-data's GeoTIFF grids (.tif)
	}
	return cfg, buildOptions{
		grids:        grids,
		pages:        pages,
		parquet:      c.Bool(flagParquet),
		maxFiles:     c.Int64(flagMaxFiles),
		maxBytes:     maxBytes,
		out:          c.String(flagOut),
		baseURL:      baseURL,
		incremental:  c.Bool(flagIncremental),
		concurrency:  c.Int(flagConcurrency),
		listConc:     c.Int(flagListConc),
		skipInvalid:  c.Bool(flagSkipInvalid),
		waitLock:     c.Duration(flagWaitLock),
		validateOpts: validateOptions(c),
		progress:     newProgress(c.App.ErrWriter, log),
	}, nil
}

// maxConcurrency bounds build's --concurrency and validate's.
const maxConcurrency = 1024

// checkRange refuses an integer flag outside 1…max, naming the flag (and
// so its STACGEN_ variable).
func checkRange(c *cli.Context, flag string, max int) error {
	if n := c.Int(flag); n < 1 || n > max {
		return fmt.Errorf("--%s (%s) must be between 1 and %d, got %d", flag, envVar(flag)[0], max, n)
	}
	return nil
}

type buildOptions struct {
	out          string
	baseURL      string
	incremental  bool
	concurrency  int // items built at once (0: catalog's default)
	listConc     int // listing requests in flight per S3 source (0: source's default)
	skipInvalid  bool
	waitLock     time.Duration
	pages        *render.Renderer // nil: JSON only
	grids        *crs.Grids       // --proj-grids; nil: none
	parquet      bool
	maxFiles     int64 // 0: no limit
	maxBytes     int64 // 0: no limit
	validateOpts validate.Options
	progress     *progress
	s3Client     *s3.Client // tests and benchmarks: a preconfigured client
}

type summary struct {
	catalog.Stats
	Seconds  float64
	Warnings []string
	Schemas  map[string]int // schema source → count
	Entries  int64          // files and folders published
	Bytes    int64
}

// newRenderer builds the page renderer for the command's flags; nil with
// --pages=false.
func newRenderer(c *cli.Context, cfg *config.Config, baseURL string) (*render.Renderer, error) {
	if !c.Bool(flagPages) {
		return nil, nil
	}
	return pageRenderer(cfg, baseURL, c.String(flagTemplates), c.String(flagSite))
}

// pageRenderer builds the page renderer from the embedded templates and
// static files, each overlaid by a folder when given (--templates, --site).
func pageRenderer(cfg *config.Config, baseURL, templatesDir, siteDir string) (*render.Renderer, error) {
	overlay := func(flag, dir string, base fs.FS) (fs.FS, error) {
		if dir == "" {
			return base, nil
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--%s %s: not a folder", flag, dir)
		}
		return render.Overlay(os.DirFS(dir), base), nil
	}
	tfs, err := overlay(flagTemplates, templatesDir, templates.FS)
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(site.FS, "static")
	if err != nil {
		return nil, err
	}
	sfs, err := overlay(flagSite, siteDir, static)
	if err != nil {
		return nil, err
	}
	return render.New(render.Options{
		Templates: tfs, Site: sfs, BaseURL: baseURL, Basemap: cfg.Site.Basemap,
		PageSize: cfg.Site.PageSize, Generator: "stacgen " + version, Signer: cfg.Signer,
	})
}

// checkBudget refuses an output larger than the Pages limits; the previous
// output stays in place.
func checkBudget(entries, size, maxFiles, maxBytes int64) error {
	var over []string
	if maxFiles > 0 && entries > maxFiles {
		over = append(over, fmt.Sprintf("%d files and folders (--%s %d)", entries, flagMaxFiles, maxFiles))
	}
	if maxBytes > 0 && size > maxBytes {
		over = append(over, fmt.Sprintf("%s (--%s %s)", render.HumanSize(float64(size)), flagMaxBytes, render.HumanSize(float64(maxBytes))))
	}
	if len(over) == 0 {
		return nil
	}
	return fmt.Errorf("the output would hold %s: over GitLab Pages' limits, so nothing was published. "+
		"To fit: serve the data from its bucket instead of copying it into the site (an s3:// source, or href_base for a local one), "+
		"raise site.page_size (fewer list pages), build JSON only (--%s=false), or raise the limits if your GitLab instance allows more",
		strings.Join(over, " and "), flagPages)
}

// parseSize reads "1GB", "500MB", "2GiB", "123" (bytes).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a size (e.g. 1GB, 500MB, 2GiB, or bytes)", s)
	}
	return int64(f * mult), nil
}

func build(ctx context.Context, log *slog.Logger, cfg *config.Config, o buildOptions) error {
	start := time.Now()
	sources, err := openSources(ctx, cfg, o)
	if err != nil {
		return err
	}
	v, err := validate.New(o.validateOpts)
	if err != nil {
		return err
	}
	out, err := publish.Begin(ctx, o.out, o.waitLock)
	if err != nil {
		return err
	}
	defer out.Close() // drops the temporary folder unless committed, releases the lock
	var prev *catalog.State
	statePath := publish.StatePath(o.out)
	if o.incremental {
		var st catalog.State
		ok, err := publish.LoadState(statePath, &st)
		switch {
		case err != nil:
			log.Warn("ignoring unreadable incremental state; reading everything", "err", err)
		case ok && st.Version == catalog.StateVersion && publish.Intact(o.out):
			prev = &st
		case ok && st.Version == catalog.StateVersion:
			log.Info("the output folder is missing or incomplete; rebuilding it (unchanged objects are not read again)")
			st.Config = "" // never reuse the missing output as it is
			prev = &st
		case ok:
			log.Info("incremental state from another stacgen version; reading everything")
		}
	}
	prog := &catalog.Progress{}
	stopProgress := o.progress.start(prog)
	res, err := catalog.Build(ctx, cfg, sources, out, catalog.Options{
		Concurrency:      o.concurrency,
		BaseURL:          o.baseURL,
		Previous:         prev,
		KeepState:        o.incremental,
		Version:          version,
		SkipInvalidItems: o.skipInvalid,
		Logger:           log,
		Progress:         prog,
		Pages:            o.pages,
		Parquet:          o.parquet,
		Grids:            o.grids,
		Check: func(rel string, doc []byte) error {
			issues, err := v.ValidateWithChecks(rel, doc)
			if err != nil {
				return err
			}
			return issuesError(issues)
		},
	})
	stopProgress()
	if err != nil {
		return err
	}
	if res.Unchanged {
		o.progress.unchanged(o.out, res.Stats, time.Since(start))
		return nil // the deferred Close drops the empty temporary folder
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, size := out.Counts()
	if err := checkBudget(entries, size, o.maxFiles, o.maxBytes); err != nil {
		return err
	}
	// The state must describe the output in place: drop the old one before
	// the swap, write this build's after it (incremental builds only).
	if err := publish.RemoveState(o.out); err != nil {
		return err
	}
	if err := out.Commit(); err != nil {
		return err
	}
	if o.incremental {
		if err := publish.SaveState(statePath, res.State); err != nil {
			log.Warn("could not save the incremental state; the next build reads everything", "err", err)
		}
	}
	s := summary{Stats: res.Stats, Seconds: time.Since(start).Seconds(), Warnings: res.Warnings, Schemas: countSources(v.Sources()), Entries: entries, Bytes: size}
	o.progress.summary(o.out, s)
	return nil
}

func countSources(m map[string]string) map[string]int {
	out := map[string]int{}
	for _, src := range m {
		out[src]++
	}
	return out
}

func issuesError(issues []validate.Issue) error {
	if len(issues) == 0 {
		return nil
	}
	lines := make([]string, 0, len(issues))
	for i, is := range issues {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("… and %d more", len(issues)-20))
			break
		}
		lines = append(lines, is.String())
	}
	return &invalidError{msg: fmt.Sprintf("%d validation issue(s):\n  %s", len(issues), strings.Join(lines, "\n  "))}
}

// openSources opens one source per collection, sharing S3 clients between
// collections with the same connection settings.
func openSources(ctx context.Context, cfg *config.Config, o buildOptions) (map[string]source.Source, error) {
	out := map[string]source.Source{}
	type conn struct { // what a client depends on
		endpoint, region string
		pathStyle        bool
	}
	clients := map[conn]*s3.Client{}
	var errs []error
	for i := range cfg.Collections {
		c := &cfg.Collections[i]
		if !c.IsS3() {
			src, err := source.NewLocal(cfg.LocalPath(c), c.HrefBase)
			if err != nil {
				errs = append(errs, fmt.Errorf("collection %s: %w", c.ID, err))
				continue
			}
			out[c.ID] = src
			continue
		}
		set := cfg.S3Settings(c)
		so := source.S3Options{
			Endpoint: set.Endpoint, Region: set.Region, PathStyle: set.Endpoint != "" && (set.PathStyle == nil || *set.PathStyle),
			HrefStyle: set.HrefStyle, PublicURL: set.PublicURL, ListConcurrency: o.listConc, Client: o.s3Client,
		}
		if so.Client == nil {
			key := conn{so.Endpoint, so.Region, so.PathStyle}
			if clients[key] == nil {
				cl, err := source.NewS3Client(ctx, so)
				if err != nil {
					return nil, err
				}
				clients[key] = cl
			}
			so.Client = clients[key]
		}
		src, err := source.NewS3(ctx, c.Source, so)
		if err != nil {
			errs = append(errs, fmt.Errorf("collection %s: %w", c.ID, err))
			continue
		}
		out[c.ID] = src
	}
	return out, errors.Join(errs...)
}
