package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

func signCommand() *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "get presigned URLs from a running signer",
		UsageText: "signer sign --endpoint URL (--token TOKEN | --token-file FILE) [--method GET|HEAD|PUT] [--duration 1h] HREF...",
		Description: `Prints one signed URL per line, in the order of the HREFs (s3://bucket/key
or https URLs on the storage). With --json, prints the signer's response.

   gdalinfo "/vsicurl/$(signer sign --endpoint https://signer.example.org --token "$TOKEN" s3://eodata/sentinel-2/l2a/T31TEJ/B02.tif)"`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "endpoint", EnvVars: envVar("endpoint"), Required: true, Usage: "signer base `URL`"},
			&cli.StringFlag{Name: "token", EnvVars: envVar("token"), Usage: "OIDC bearer token (prefer SIGNER_TOKEN or --token-file)"},
			&cli.StringFlag{Name: "token-file", EnvVars: envVar("token-file"), Usage: "`FILE` holding the bearer token"},
			&cli.StringFlag{Name: "method", Value: "GET", Usage: "GET, HEAD or PUT"},
			&cli.StringFlag{Name: "duration", Usage: "lifetime, e.g. 3600 or 8h (default: the signer's)"},
			&cli.BoolFlag{Name: "json", Usage: "print the JSON response"},
		},
		Action: runSign,
	}
}

func runSign(c *cli.Context) error {
	hrefs := c.Args().Slice()
	if len(hrefs) == 0 {
		return fmt.Errorf("no HREF given; see signer sign --help")
	}
	token := c.String("token")
	if f := c.String("token-file"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return fmt.Errorf("no token: give --token, SIGNER_TOKEN or --token-file")
	}
	body := map[string]any{"hrefs": hrefs, "method": strings.ToUpper(c.String("method"))}
	if d := c.String("duration"); d != "" {
		v, err := parseDur(d)
		if err != nil {
			return fmt.Errorf("duration %q: %w", d, err)
		}
		body["duration_seconds"] = int64(v / time.Second)
	}
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(c.Context, http.MethodPost, strings.TrimSuffix(c.String("endpoint"), "/")+"/sign", bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	var out struct {
		Hrefs  map[string]string `json:"hrefs"`
		Expiry string            `json:"expiry"`
		Error  string            `json:"error"`
		Detail string            `json:"detail"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return fmt.Errorf("signer answered %s: %.200s", resp.Status, data)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("signer answered %s: %s: %s", resp.Status, out.Error, out.Detail)
	}
	if c.Bool("json") {
		_, err := c.App.Writer.Write(data)
		return err
	}
	for _, h := range hrefs {
		if _, err := fmt.Fprintln(c.App.Writer, out.Hrefs[h]); err != nil {
			return err
		}
	}
	// A note on standard error: the signed URLs are out already.
	_, _ = fmt.Fprintf(c.App.ErrWriter, "signer: %d URL(s), valid until %s\n", len(hrefs), out.Expiry)
	return nil
}
