package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/serve"
)

// Flags of the serve command; env vars are STACGEN_ + upper-case name.
const (
	flagDir    = "dir"
	flagListen = "listen"
)

// Server limits: generous for a preview on the local machine (a whole COG
// over the loopback takes seconds), bounded so that a stuck client cannot
// hold a connection forever.
const (
	serveReadHeaderTimeout = 10 * time.Second
	serveReadTimeout       = 30 * time.Second // GET and HEAD have no body
	serveWriteTimeout      = 10 * time.Minute
	serveIdleTimeout       = 2 * time.Minute
	serveMaxHeaderBytes    = 64 << 10
	serveShutdownTimeout   = 10 * time.Second
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "serve a built catalog locally the way GitLab Pages will (preview, browser tests)",
		UsageText: "stacgen serve [--dir DIR] [--listen ADDRESS]",
		Description: `Serves the folder a build wrote (--dir, default public) over HTTP, reproducing
what GitLab Pages does with it, so that the catalog and its pages can be
checked in a browser, with STAC Browser or GDAL, or by browser tests, before
they are published:

   stacgen build --config examples/quickstart/stacgen.yaml --out public
   stacgen serve --dir public
   # then open http://127.0.0.1:8000/catalog.json

As on Pages: GET and HEAD only; content types by file extension (.json,
.geojson, .tif, .parquet, … never sniffed); a folder URL serves its index.html
and /folder redirects to /folder/; /page serves page.html; no directory
listings; anything missing is the site's 404.html with status 404; Range
requests (what COG readers send) and ETag/If-Modified-Since revalidation;
Cache-Control: max-age=600, so after a rebuild reload without the cache
(Shift+reload). A build may replace the folder while it is served: the next
request sees the new output.

Nothing outside --dir is served: ".." is cleaned away, symbolic links leading
out of the folder are refused, and dotfiles (the .stacgen marker) are 404.

This is a preview server, not a production one: plain HTTP, no access
control, no compression, one process. It listens on the loopback by default;
--listen :8000 exposes it to the network. --listen 127.0.0.1:0 picks a free
port (printed at start). Requests are logged with --log-level debug. Ctrl-C
finishes the requests in flight and stops.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flagDir, EnvVars: envVar(flagDir), Value: "public", Usage: "`DIR` to serve: the --out of a build"},
			&cli.StringFlag{Name: flagListen, EnvVars: envVar(flagListen), Value: "127.0.0.1:8000", Usage: "`ADDRESS` (host:port) to listen on; port 0 picks a free one"},
		}, logFlags()...),
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q; give the folder with --%s", c.Args().Slice(), flagDir)
	}
	log, err := newLogger(c, c.App.ErrWriter)
	if err != nil {
		return err
	}
	dir := c.String(flagDir)
	h, err := serve.Handler(dir, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.String(flagListen))
	if err != nil {
		return fmt.Errorf("--%s: %w", flagListen, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		ReadTimeout:       serveReadTimeout,
		WriteTimeout:      serveWriteTimeout,
		IdleTimeout:       serveIdleTimeout,
		MaxHeaderBytes:    serveMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	addr := ln.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() {
		log.Warn("the preview server is reachable from other machines", "listen", addr.String())
	}
	_, _ = fmt.Fprintf(c.App.ErrWriter, "stacgen: serving %s at http://%s/ (Ctrl-C to stop)\n", dir, browsable(addr))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc: // Serve returns only on failure before Shutdown
		return err
	case <-c.Context.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close() // forced after a failed Shutdown, whose error is the one to report
		return fmt.Errorf("stopping the server: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// browsable is the host:port to print for a listening address: a wildcard
// address (":8000") is reached as localhost.
func browsable(a *net.TCPAddr) string {
	if a.IP == nil || a.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", fmt.Sprint(a.Port))
	}
	return a.String()
}
