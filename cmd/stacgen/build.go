package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/catalog"
	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/publish"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/validate"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build the catalog described by a configuration file",
		UsageText: "stacgen build --config FILE [--out DIR] [--base-url URL] [--incremental] [--wait-lock DURATION] [--schemas DIR] [--concurrency N]",
		Description: `Lists every collection's source, groups objects into items, reads raster
headers (one ranged read each), validates every document against the official
STAC schemas, then swaps the new catalog into --out. A failed or interrupted
build leaves the previous --out untouched.

--incremental remembers what was read (in a hidden file beside --out) and
re-reads only objects whose ETag or size changed; deleted objects drop
their items. A build without --incremental removes that state.

Builds into one --out are exclusive: a second one fails at once naming the
running build's pid (lock file .<out>.stacgen-lock beside --out), or waits
for it with --wait-lock. The lock dies with its process.`,
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: flagConfig, Aliases: []string{"c"}, EnvVars: envVar(flagConfig), Required: true, Usage: "YAML configuration `FILE` (see schemas/stacgen-config.schema.json)"},
			&cli.StringFlag{Name: flagOut, Aliases: []string{"o"}, EnvVars: envVar(flagOut), Value: "public", Usage: "output `DIR`, replaced atomically"},
			&cli.StringFlag{Name: flagBaseURL, EnvVars: append(envVar(flagBaseURL), "CI_PAGES_URL"), Usage: "absolute `URL` the catalog is published at; the root gets an absolute self link"},
			&cli.BoolFlag{Name: flagIncremental, EnvVars: envVar(flagIncremental), Usage: "re-read only objects that changed since the last build"},
			&cli.IntFlag{Name: flagConcurrency, EnvVars: envVar(flagConcurrency), Value: 16, Usage: "items read concurrently (each reads its rasters' headers)"},
			&cli.BoolFlag{Name: flagSkipInvalid, EnvVars: envVar(flagSkipInvalid), Usage: "publish the other items when some fail (default: fail the build)"},
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
	if n := c.Int(flagConcurrency); n < 1 || n > 1024 {
		return fmt.Errorf("--%s must be between 1 and 1024, got %d", flagConcurrency, n)
	}
	baseURL := c.String(flagBaseURL)
	if baseURL != "" && !strings.HasPrefix(baseURL, "https://") && !strings.HasPrefix(baseURL, "http://") {
		return fmt.Errorf("--%s must be an absolute http(s) URL, got %q", flagBaseURL, baseURL)
	}
	cfg, err := config.Load(c.String(flagConfig))
	if err != nil {
		return err
	}
	return build(c.Context, log, cfg, buildOptions{
		out:          c.String(flagOut),
		baseURL:      baseURL,
		incremental:  c.Bool(flagIncremental),
		concurrency:  c.Int(flagConcurrency),
		skipInvalid:  c.Bool(flagSkipInvalid),
		waitLock:     c.Duration(flagWaitLock),
		validateOpts: validate.Options{SchemaDir: c.String(flagSchemas), Offline: c.Bool(flagOffline)},
		progress:     newProgress(c.App.ErrWriter, log),
	})
}

type buildOptions struct {
	out          string
	baseURL      string
	incremental  bool
	concurrency  int
	skipInvalid  bool
	waitLock     time.Duration
	validateOpts validate.Options
	progress     *progress
	s3Client     *s3.Client // tests and benchmarks: a preconfigured client
}

type summary struct {
	catalog.Stats
	Seconds  float64
	Warnings []string
	Schemas  map[string]int // schema source → count
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
	s := summary{Stats: res.Stats, Seconds: time.Since(start).Seconds(), Warnings: res.Warnings, Schemas: countSources(v.Sources())}
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
			HrefStyle: set.HrefStyle, PublicURL: set.PublicURL, Concurrency: min(o.concurrency, 32), Client: o.s3Client,
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
