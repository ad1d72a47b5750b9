//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// The signer's documentation as doc tests. docs/signer.md is the signer's
// reference: its example policy is examples/signer/policy.yaml, shown as it
// is, and every curl line of its API reference runs as written with bash and
// curl (but for POST /credentials, which needs mode sts and is tested against
// SeaweedFS in internal/signer) against a real `signer serve` started, as
// docs/signer.md says, from examples/signer/signer.yaml, with the issuer,
// audience and storage pointed at an OpenID Provider and versitygw and API
// keys on; $S and $TOKEN are set and curl fails on any HTTP error
// (--fail-with-body). Every presigned URL a command prints is fetched and
// must give the object's bytes. The README's curl lines must be among them.
// The documented policy and hrefs disagreed once: every documented call was
// a 403. Its configuration table must name every flag of `signer serve` and
// every key of the YAML file.

// repoFile returns a file of the repository (a slash-separated path from its
// root) as text.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// docSection returns the part of a Markdown text from the line heading
// (e.g. "## API reference") to the next heading of the same level, or to
// the end.
func docSection(t *testing.T, text, file, heading string) string {
	t.Helper()
	start := strings.Index(text, "\n"+heading+"\n")
	if start < 0 {
		t.Fatalf("%s has no section %q", file, heading)
	}
	rest := text[start+1:]
	level := "\n" + heading[:strings.Index(heading, " ")+1] // "\n## "
	if end := strings.Index(rest[len(heading):], level); end >= 0 {
		rest = rest[:len(heading)+end+1]
	}
	return rest
}

// fencedBlocks returns the contents of the ```lang blocks of text, in order
// (indented blocks in list items included, their indentation removed).
func fencedBlocks(text, lang string) []string {
	var blocks []string
	var cur []string
	in, indent := false, ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case !in && trimmed == "```"+lang:
			in, indent, cur = true, line[:len(line)-len(trimmed)], nil
		case in && trimmed == "```":
			blocks = append(blocks, strings.Join(cur, "\n"))
			in = false
		case in:
			cur = append(cur, strings.TrimPrefix(line, indent))
		}
	}
	return blocks
}

// commands splits a shell block into commands (continuation lines joined).
func commands(block string) []string {
	var out []string
	joined := strings.ReplaceAll(block, "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

var presignedURL = regexp.MustCompile(`https?://[^"\s]+X-Amz-Signature=[0-9a-f]+`)

func TestREADMESignerExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "%s: %v", tool, err)
		}
	}
	doc := repoFile(t, "docs/signer.md")

	// The policy docs/signer.md shows is the example file, as it is.
	policy := repoFile(t, "examples/signer/policy.yaml")
	var shown []string
	for _, b := range fencedBlocks(doc, "yaml") {
		if strings.HasPrefix(b, "rules:") || strings.Contains(b, "\nrules:") {
			shown = append(shown, b)
		}
	}
	if len(shown) != 1 || strings.TrimSpace(shown[0]) != strings.TrimSpace(policy) {
		t.Errorf("docs/signer.md should show examples/signer/policy.yaml as it is, once; it shows %d policies:\n%s", len(shown), strings.Join(shown, "\n---\n"))
	}

	// The commands of the API reference.
	api := docSection(t, doc, "docs/signer.md", "## API reference")
	var cmds []string
	var setup []string
	skipped := 0
	for _, block := range fencedBlocks(api, "sh") {
		if strings.Contains(block, "$S/credentials") {
			skipped++ // mode sts: internal/signer/credentials_seaweedfs_test.go
			continue
		}
		for _, c := range commands(block) {
			if strings.HasPrefix(c, "TOKEN=") || strings.HasPrefix(c, "S=") {
				setup = append(setup, c)
				continue
			}
			cmds = append(cmds, c)
		}
	}
	if len(setup) != 2 || skipped != 1 || len(cmds) < 15 {
		t.Fatalf("docs/signer.md's API reference: %d setup lines %q, %d blocks skipped, %d commands: the extraction no longer matches the text", len(setup), setup, skipped, len(cmds))
	}
	// The README's signer examples are some of these.
	for _, block := range fencedBlocks(docSection(t, repoFile(t, "README.md"), "README.md", "## The signer"), "sh") {
		for _, c := range commands(block) {
			if strings.HasPrefix(c, "curl") && !slices.Contains(cmds, c) {
				t.Errorf("the README's %q is not one of the examples of docs/signer.md's API reference (the ones this test runs)", c)
			}
		}
	}

	// The objects the commands name, on a real storage: the Sentinel-2
	// bands of the quickstart's sample product (GDAL reads one).
	hrefKeys := regexp.MustCompile(`(?:s3://|https://s3\.example\.org/)eodata/([A-Za-z0-9._/-]+)`)
	objects := map[string][]byte{}
	sample := filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data", "sentinel2-l2a", "S2B_MSIL2A_20240615T103629_N0510_R008_T31TEJ_20240615T135412")
	for _, c := range cmds {
		for _, m := range hrefKeys.FindAllStringSubmatch(c, -1) {
			key := m[1]
			if _, ok := objects[key]; ok {
				continue
			}
			data, err := os.ReadFile(filepath.Join(sample, filepath.Base(key)))
			if err != nil {
				t.Fatalf("docs/signer.md names %s: no sample file for it: %v", key, err)
			}
			objects[key] = data
		}
	}
	if len(objects) < 2 {
		t.Fatalf("objects named by docs/signer.md: %v", objects)
	}
	s3srv := testenv.StartVersityGW(t)
	s3srv.CreateBucket(t, "eodata")
	for key, data := range objects {
		if _, err := s3srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String(key), Body: strings.NewReader(string(data))}); err != nil {
			t.Fatal(err)
		}
	}
	idp := testenv.StartOIDCProvider(t)
	// As docs/signer.md says: from the repository's root (the example's
	// policy path is relative to it), the example configuration, and flags
	// overriding what must point at the test's servers. The hrefs name the
	// storage https://s3.example.org, now an alias of versitygw.
	dir := t.TempDir()
	t.Chdir(testenv.RepoRoot())
	base, logs := startServe(t, s3srv, "--config", filepath.Join("examples", "signer", "signer.yaml"),
		"--issuer", idp.URL, "--audience", "signer", "--s3-endpoint", s3srv.Endpoint, "--s3-alias", "https://s3.example.org",
		"--api-keys-file", filepath.Join(dir, "keys", "apikeys.json"))
	token := idp.Token(t, "alice", "signer", map[string]any{"groups": []string{"s2-readers"}})

	// A STAC Item for POST /sign/stac, with an asset of the examples.
	var firstKey string
	for k := range objects {
		if firstKey == "" || k < firstKey {
			firstKey = k
		}
	}
	item, _ := json.Marshal(map[string]any{"type": "Feature", "stac_version": "1.1.0", "id": "T31TEJ", "geometry": nil, "properties": map[string]any{"datetime": "2024-06-15T10:36:29Z"},
		"assets": map[string]any{"B02": map[string]any{"href": "s3://eodata/" + firstKey, "type": "image/tiff; application=geotiff; profile=cloud-optimized"}}})
	if err := os.WriteFile(filepath.Join(dir, "item.json"), item, 0o600); err != nil {
		t.Fatal(err)
	}
	gdal := true
	if _, err := exec.LookPath("gdalinfo"); err != nil {
		if testenv.InCI() {
			t.Fatalf("gdalinfo: %v (CI installs gdal-bin)", err)
		}
		gdal = false
	}

	ran := 0
	for _, c := range cmds {
		if strings.Contains(c, "gdalinfo") && !gdal {
			t.Logf("skipped (no gdalinfo): %s", c)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		// curl fails on HTTP errors, showing the body; pipes fail as a whole.
		script := "set -eo pipefail\ncurl() { command curl --fail-with-body --silent --show-error \"$@\"; }\n" + c
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "S="+base, "TOKEN="+token)
		out, err := cmd.CombinedOutput()
		cancel()
		ran++
		if err != nil {
			t.Errorf("docs/signer.md's command failed (%v):\n  %s\n%s", err, c, out)
			continue
		}
		checkREADMEOutput(t, c, string(out), objects, dir)
		for _, u := range presignedURL.FindAllString(string(out), -1) {
			code, body := testenv.Fetch(t, "GET", u, nil)
			key := u[strings.Index(u, "/eodata/")+len("/eodata/") : strings.Index(u, "?")]
			if want, ok := objects[key]; code != 200 || !ok || body != string(want) {
				t.Errorf("a URL printed by %q gives %d (%d bytes), want the %d bytes of %s", c, code, len(body), len(want), key)
			}
		}
	}
	t.Logf("ran %d commands of docs/signer.md against the signer", ran)
	if t.Failed() {
		t.Logf("signer log:\n%s", logs.String())
	}
}

// checkREADMEOutput checks what some commands print beyond their success.
func checkREADMEOutput(t *testing.T, c, out string, objects map[string][]byte, dir string) {
	t.Helper()
	must := func(ok bool, what string) {
		if !ok {
			t.Errorf("%s:\n  %s\nprinted: %.600s", what, c, out)
		}
	}
	switch {
	case strings.Contains(c, "-o B02.tif"):
		got, _ := os.ReadFile(filepath.Join(dir, "B02.tif"))
		var want []byte
		for k, v := range objects {
			if strings.HasSuffix(k, "/B02.tif") {
				want = v
			}
		}
		must(len(got) > 0 && string(got) == string(want), fmt.Sprintf("the download through /redirect: %d bytes, want %d", len(got), len(want)))
	case strings.Contains(c, "gdalinfo"):
		must(strings.Contains(out, "Driver: GTiff/GeoTIFF") && strings.Contains(out, "Band 1"), "gdalinfo through /redirect")
	case strings.Contains(c, "/create_api_key"):
		raw, _ := os.ReadFile(filepath.Join(dir, "key.json"))
		var k map[string]string
		must(json.Unmarshal(raw, &k) == nil && strings.HasPrefix(k["access-key"], "eak_") && strings.HasPrefix(k["secret-key"], "eks_"), "key.json from /create_api_key")
	case strings.Contains(c, "/list_api_keys_with_metadata"):
		var keys []map[string]string
		must(json.Unmarshal([]byte(out), &keys) == nil && len(keys) == 1 && keys[0]["description"] == "nightly job", "the key listed with its description")
	case strings.Contains(c, "/list_api_keys"):
		var keys []string
		must(json.Unmarshal([]byte(out), &keys) == nil && len(keys) == 1 && strings.HasPrefix(keys[0], "eak_"), "the key listed")
	case strings.Contains(c, "/revoke_api_key"):
		must(strings.Contains(out, `"revoked":true`), "the key revoked")
	case strings.Contains(c, "tokenUrl"):
		must(strings.HasSuffix(strings.TrimSpace(out), "/token") && strings.HasPrefix(strings.TrimSpace(out), "http://127.0.0.1:"), "tokenUrl")
	case strings.Contains(c, "/healthz"):
		must(strings.Contains(out, `{"status":"ok"}`) && strings.Contains(out, `"ready":true`), "healthz and readyz")
	case strings.Contains(c, "/metrics"):
		must(strings.Contains(out, "signer_urls_signed_total") && strings.Contains(out, "signer_requests_total{"), "metrics")
	case strings.Contains(c, "/sign"), strings.Contains(c, "/api/sas/v1/sign"):
		must(presignedURL.MatchString(out), "a signing call printed no presigned URL")
	}
}

// TestREADMESignerConfigReference: the table of docs/signer.md's
// "Configuration reference" documents every setting of signer serve's table
// (settings.go), and nothing else: each flag with its environment variable,
// the setting's YAML key in the same row, and the default its flag shows;
// and every other flag of `signer serve` (--config).
func TestREADMESignerConfigReference(t *testing.T) {
	table := docSection(t, repoFile(t, "docs/signer.md"), "docs/signer.md", "## Configuration reference")
	code := regexp.MustCompile("`([^`]+)`")
	type row struct {
		flags         []string
		variable, def string
	}
	byFlag := map[string]*row{} // flag name → its row
	byKey := map[string]*row{}  // YAML key → its row
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| flag ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 5 {
			t.Errorf("a row of the table has %d cells, want 5 (flag, variable, YAML key, meaning, default): %s", len(cells), line)
			continue
		}
		rows++
		r := &row{variable: cells[1], def: cells[4]}
		for _, m := range code.FindAllStringSubmatch(cells[0], -1) {
			if strings.HasPrefix(m[1], "--") {
				r.flags = append(r.flags, strings.TrimPrefix(m[1], "--"))
				byFlag[strings.TrimPrefix(m[1], "--")] = r
			}
		}
		for _, m := range code.FindAllStringSubmatch(cells[2], -1) {
			byKey[m[1]] = r
		}
	}
	if rows < 30 {
		t.Fatalf("only %d rows in docs/signer.md's configuration table", rows)
	}

	serve := newApp(io.Discard, io.Discard).Command("serve")
	served := map[string]bool{}
	for _, f := range serve.Flags {
		name := f.Names()[0]
		served[name] = true
		r, ok := byFlag[name]
		if !ok {
			t.Errorf("docs/signer.md's configuration table lacks --%s", name)
			continue
		}
		if df, ok := f.(cli.DocGenerationFlag); ok {
			for _, v := range df.GetEnvVars() {
				if !strings.Contains(r.variable, "`"+v+"`") {
					t.Errorf("docs/signer.md: --%s's variable is %s, the table says %q", name, v, strings.TrimSpace(r.variable))
				}
			}
		}
	}
	for name := range byFlag {
		if !served[name] {
			t.Errorf("docs/signer.md documents --%s, which signer serve does not have", name)
		}
	}

	if len(settings) < 30 {
		t.Fatalf("only %d settings in the table", len(settings))
	}
	for _, s := range settings {
		r, ok := byKey[s.yaml]
		switch {
		case !ok:
			t.Errorf("docs/signer.md's configuration table lacks the YAML key %s", s.yaml)
			continue
		case s.flag != "" && !slices.Contains(r.flags, s.flag):
			t.Errorf("docs/signer.md: the YAML key %s is --%s's, the table puts it in the row of %v", s.yaml, s.flag, r.flags)
		case s.flag == "" && len(r.flags) > 0:
			t.Errorf("docs/signer.md: the YAML key %s has no flag, the table gives it %v", s.yaml, r.flags)
		}
		if s.def != "" && s.defaultText == "" && !strings.Contains(r.def, "`"+s.def+"`") {
			t.Errorf("docs/signer.md: the default of %s is %s (as --help shows it), the table says %q", s.name(), s.def, strings.TrimSpace(r.def))
		}
	}
	for k := range byKey {
		if settingByYAML[k] == nil {
			t.Errorf("docs/signer.md documents the YAML key %s, which the configuration file does not have", k)
		}
	}
}
