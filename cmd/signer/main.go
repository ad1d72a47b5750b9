// Command signer is a small stateless HTTP service that exchanges an OpenID
// Connect bearer token for short-lived presigned URLs of objects in private
// S3 buckets, and a command-line client for it.
//
//	signer serve   run the service (flags, SIGNER_* variables or a YAML file)
//	signer sign    get signed URLs from a running signer
//	signer version
//
// The settings of serve are one table (settings.go): each setting's flag,
// SIGNER_* variable, YAML key, default and parser. load (config.go) reads
// the YAML file over the defaults, then the variables and flags, and checks
// the whole, policy file included, before any network call.
//
// Exit codes: 0 success, 1 error (including an invalid configuration, whose
// every problem is listed first, one per line).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/signer"
)

var version = "devel"

func main() {
	signer.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newApp(os.Stdout, os.Stderr).RunContext(ctx, os.Args)
	stop()
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "signer:", err)
		os.Exit(1)
	}
}

func envVar(name string) []string {
	b := []byte("SIGNER_" + name)
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = '_'
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return []string{string(b)}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "signer",
		Usage: "exchange an OIDC token for presigned URLs of private S3 objects",
		Description: `The signer verifies the caller's OpenID Connect token (trusted issuers,
audience, expiry, signature), checks each href against the configured storage,
and returns presigned URLs: signed with its own credentials after its policy
(mode static), or with the user's own temporary credentials obtained from the
storage's STS (mode sts), so the storage's policies apply.

   signer serve --config signer.yaml
   signer sign --endpoint https://signer.example.org --token "$TOKEN" s3://eodata/sentinel-2/l2a/T31TEJ/B02.tif`,
		Writer:         stdout,
		ErrWriter:      stderr,
		HideVersion:    true,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands:       []*cli.Command{serveCommand(), signCommand(), versionCommand()},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the signer's version",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintf(c.App.Writer, "signer %s\n", version)
			return err
		},
	}
}
