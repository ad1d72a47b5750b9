package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/apikey"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/signer"
)

// serveFlags are the flags of signer serve: --config, then one per setting
// of the table (settings.go).
func serveFlags() []cli.Flag {
	flags := []cli.Flag{&cli.StringFlag{Name: flagConfig, Aliases: []string{"c"}, EnvVars: envVar(flagConfig),
		Usage: "YAML `FILE` with the settings below, nested as docs/signer.md and examples/signer/signer.yaml show (e.g. s3: {endpoint: …}); flags and SIGNER_* variables override it"}}
	for i := range settings {
		if s := &settings[i]; s.flag != "" {
			flags = append(flags, s.cliFlag())
		}
	}
	return flags
}

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the signing service",
		Description: fmt.Sprintf(`Every setting can come from a flag, a SIGNER_<FLAG> environment variable
(%s, %s, %s, %s, …) or the
YAML file given with --%s. The configuration is checked at start; every
problem is listed, then the process exits with status 1.

Storage credentials for mode static come from the standard AWS chain
(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, …).`,
			env(flagIssuer), env(flagAudience), env(flagS3Endpoint), env(flagMode), flagConfig),
		Flags:  serveFlags(),
		Action: runServe,
	}
}

func newLogger(cfg *Config, c *cli.Context) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(c.App.ErrWriter, opts))
	}
	return slog.New(slog.NewJSONHandler(c.App.ErrWriter, opts))
}

func runServe(c *cli.Context) error {
	cfg, err := load(c)
	if err != nil {
		return err
	}
	log := newLogger(cfg, c)
	defer func() {
		if cfg.APIKeys.store != nil {
			_ = cfg.APIKeys.store.Close() // releases the key file's lock at exit: nothing left to report
		}
	}()
	api, err := buildAPI(c.Context, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    cfg.serverHeaderBytes(), // the API answers from max-header-bytes on (JSON 431)
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("signer listening", "address", ln.Addr().String(), "mode", cfg.Mode, "issuers", cfg.Issuers, "buckets", cfg.S3.Buckets, "version", version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-c.Context.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// buildAPI assembles the service from the configuration, which load
// checked (and whose policy and collections it read). What is local comes
// first (storage credentials, the API key store), the IdP last: an error is
// reported without waiting for the network.
func buildAPI(ctx context.Context, cfg *Config, log *slog.Logger) (*signer.Server, error) {
	httpClient := &http.Client{Timeout: 10 * time.Second}
	var issuers []auth.Issuer
	for _, is := range cfg.Issuers {
		issuers = append(issuers, auth.Issuer{URL: is})
	}
	leeway := cfg.ClockSkew
	if leeway == 0 {
		leeway = -1 // none (auth's zero is its default)
	}
	verifier, err := auth.NewVerifier(auth.Options{Issuers: issuers, Audiences: cfg.Audiences, HTTPClient: httpClient, Leeway: leeway})
	if err != nil {
		return nil, err
	}
	sc := signer.Config{
		Mode: cfg.Mode, Storage: cfg.storage(), Verifier: verifier,
		DefaultLifetime: cfg.DefaultDuration, MaxLifetime: cfg.MaxDuration, MinLifetime: cfg.MinDuration,
		BatchLimit: cfg.BatchLimit, CORSOrigins: cfg.CORSOrigins, RatePerSecond: cfg.RateLimit, RateBurst: cfg.RateBurst,
		MaxInflightBytes: cfg.MaxInflightBytes, MaxHeaderBytes: cfg.MaxHeaderBytes, ProbeInterval: cfg.ProbeInterval,
		TokenURL: cfg.TokenURL, Logger: log,
		StorageReady: func(ctx context.Context) error { return reachable(ctx, httpClient, cfg.S3.Endpoint) },
	}
	switch cfg.Mode {
	case signer.ModeStatic:
		sc.Policy = cfg.policy
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.S3.Region))
		if err != nil {
			return nil, fmt.Errorf("storage credentials: %w", err)
		}
		sc.Credentials = presign.NewStatic(awsCfg.Credentials)
		if k := cfg.APIKeys; k.File != "" {
			store, err := apikey.OpenFile(k.File, apikey.Options{MaxLifetime: k.MaxLifetime, MaxPerOwner: k.MaxPerUser})
			if err != nil {
				return nil, err
			}
			cfg.APIKeys.store, sc.APIKeys = store, store
			log.Info("API keys enabled", "file", store.Path(), "max_lifetime", fmtDuration(k.MaxLifetime), "max_per_user", k.MaxPerUser)
		}
	case signer.ModeSTS:
		stsClient := sts.New(sts.Options{
			Region: cfg.S3.Region, BaseEndpoint: aws.String(cfg.S3.Endpoint), HTTPClient: httpClient,
			Credentials: aws.AnonymousCredentials{}, // AssumeRoleWithWebIdentity is authenticated by the token
		})
		so := presign.STSOptions{Client: stsClient, RoleARN: cfg.STS.RoleARN, SessionPolicy: cfg.STS.SessionPolicy, Duration: cfg.STS.Duration}
		sc.Counters = map[string]signer.Counter{}
		if x := cfg.Exchange; x.TokenURL != "" {
			extra := url.Values{}
			for k, v := range x.Params {
				extra.Set(k, v)
			}
			ex, err := auth.NewExchanger(auth.ExchangeOptions{TokenURL: x.TokenURL, ClientID: x.ClientID, ClientSecret: x.ClientSecret,
				Audience: x.Audience, Scope: x.Scope, SubjectTokenType: x.SubjectTokenType, RequestedTokenType: x.RequestedTokenType,
				Extra: extra, HTTPClient: httpClient})
			if err != nil {
				return nil, err
			}
			so.Exchanger = ex
			sc.Counters[signer.MetricTokenExchanges] = ex.Calls
		}
		creds := presign.NewSTS(so)
		sc.Counters[signer.MetricSTSCalls] = creds.Calls
		sc.Counters[signer.MetricSTSCacheHits] = creds.Hits
		sc.Counters[signer.MetricCredentialsIssued] = creds.Scoped
		sc.CredentialsEnabled = cfg.CredentialsEnabled
		sc.Collections = cfg.collections
		sc.CredentialsMaxLifetime = cfg.CredentialsMaxDuration
		sc.Credentials = creds
		sc.STSReady = creds.Probe
	}
	if sc.TokenURL == "" {
		first := cfg.Issuers[0]
		sc.DiscoverTokenURL = func(ctx context.Context) string { return verifier.TokenURL(ctx, first) }
		// Discovery at start only warms the cache: /openapi.json looks the
		// endpoint up on each request, so an IdP down now is found later.
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if verifier.TokenURL(dctx, first) == "" {
			log.Warn(fmt.Sprintf("the IdP token endpoint for /openapi.json cannot be discovered now; it is looked up again on each request (or set --%s)", flagTokenURL), "issuer", first)
		}
		cancel()
	}
	return signer.New(sc)
}

// reachable reports whether the storage answers HTTP at all.
func reachable(ctx context.Context, client *http.Client, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, endpoint, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("storage unreachable: %w", err)
	}
	resp.Body.Close()
	return nil
}
