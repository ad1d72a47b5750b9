package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/validate"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "validate a static STAC catalog (any, not only stacgen's)",
		UsageText: "stacgen validate [--schemas DIR] [--offline] PATH_OR_URL",
		Description: `Follows child and item links from PATH_OR_URL (a catalog, collection or item,
as a local path or an http(s) URL) and validates every document against the
JSON Schema of its STAC version and of each of its stac_extensions, then
checks that links resolve, item bboxes agree with their geometries and
collection extents contain their items.

Consistency problems that the official schemas do not catch (a bbox that is
not the envelope of its geometry, a collection extent that misses an item) are
warnings, unless --strict makes them errors.

EXIT STATUS
  0  valid (warnings allowed unless --strict)
  1  an error: unreadable root, schema unavailable, network failure
  2  the catalog is invalid`,
		Flags: append(schemaFlags(),
			&cli.IntFlag{Name: flagConcurrency, EnvVars: envVar(flagConcurrency), Value: validate.DefaultTreeWorkers, Usage: fmt.Sprintf("documents read (file or HTTP GET) and validated at once (`N`, 1…%d; not build's meaning: no raster is read here)", maxConcurrency)},
			&cli.BoolFlag{Name: flagStrict, EnvVars: envVar(flagStrict), Usage: "treat consistency warnings (bbox vs geometry, extents) as errors"},
		),
		Action: func(c *cli.Context) error {
			if err := checkRange(c, flagConcurrency, maxConcurrency); err != nil {
				return err
			}
			if c.NArg() != 1 {
				return fmt.Errorf("validate takes one PATH_OR_URL, got %d arguments; see stacgen validate --help", c.NArg())
			}
			v, err := validate.New(validateOptions(c))
			if err != nil {
				return err
			}
			report, err := validate.Tree(c.Context, v, c.Args().First(), validate.TreeOptions{Workers: c.Int(flagConcurrency)})
			if err != nil {
				return err
			}
			errs, warnings := 0, 0
			for _, is := range report.Issues {
				line := is.String()
				if is.Consistency && !c.Bool(flagStrict) {
					warnings++
					line = "warning: " + line
				} else {
					errs++
				}
				if _, err := fmt.Fprintln(c.App.Writer, line); err != nil {
					return err
				}
			}
			if errs > 0 {
				return &invalidError{msg: fmt.Sprintf("%d document(s) checked: %d error(s), %d warning(s)", report.Documents, errs, warnings)}
			}
			_, err = fmt.Fprintf(c.App.Writer, "valid: %d document(s), %d warning(s)\n", report.Documents, warnings)
			return err
		},
	}
}
