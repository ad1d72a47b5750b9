package main

import (
	"cmp"
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
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/signer"
)

func serveFlags() []cli.Flag {
	s := func(name, usage string) cli.Flag {
		return &cli.StringFlag{Name: name, EnvVars: envVar(name), Usage: usage}
	}
	l := func(name, usage string) cli.Flag {
		return &cli.StringSliceFlag{Name: name, EnvVars: envVar(name), Usage: usage}
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, EnvVars: envVar("config"), Usage: "YAML `FILE` with the settings below, nested as docs/signer.md and examples/signer/signer.yaml show (e.g. s3: {endpoint: …}); flags and SIGNER_* variables override it"},
		s("listen", "`ADDRESS` to listen on (default 127.0.0.1:8080)"),
		l("issuer", "trusted OpenID Provider issuer `URL` (repeat, or comma-separated in SIGNER_ISSUER)"),
		l("audience", "accepted token audience (repeat)"),
		s("mode", "static (sign with the signer's credentials after --policy) or sts (per-user STS credentials; the storage decides)"),
		s("policy", "policy `FILE` for mode static (deny by default)"),
		s("s3-endpoint", "storage endpoint `URL`, e.g. https://s3.example.org"),
		s("s3-region", "storage region (default us-east-1)"),
		&cli.BoolFlag{Name: "s3-path-style", EnvVars: envVar("s3-path-style"), Value: true, Usage: "sign path-style URLs (https://endpoint/bucket/key); --s3-path-style=false for virtual-hosted style"},
		l("s3-bucket", "bucket whose objects may be signed (repeat)"),
		l("s3-alias", "other base `URL` naming the same storage (public name, CDN)"),
		l("cors-origins", "browser origins allowed to call the API (exact, or *)"),
		s("default-duration", "lifetime of a signed URL when the caller gives none (default 1h)"),
		s("max-duration", "longest lifetime a caller may ask for; longer is shortened (default 168h, SigV4's limit)"),
		s("min-duration", "shortest lifetime a caller may ask for; shorter is 400 invalid_duration (default 60s)"),
		s("clock-skew", "clock skew tolerated on the tokens' exp, nbf and iat, 0 to 5m (default 30s)"),
		&cli.IntFlag{Name: "batch-limit", EnvVars: envVar("batch-limit"), DefaultText: "1000", Usage: "hrefs per request"},
		&cli.Float64Flag{Name: "rate-limit", EnvVars: envVar("rate-limit"), DefaultText: "50", Usage: "requests per second per user, 0 to disable"},
		&cli.IntFlag{Name: "rate-burst", EnvVars: envVar("rate-burst"), DefaultText: "200", Usage: "burst per user"},
		s("token-url", "IdP token endpoint advertised in /openapi.json (default: from the first issuer's discovery, looked up when asked and refreshed)"),
		&cli.Int64Flag{Name: "max-inflight-bytes", EnvVars: envVar("max-inflight-bytes"), DefaultText: "GOMEMLIMIT/4 if GOMEMLIMIT is set, else 33554432 (32 MiB)",
			Usage: "request-body `BYTES` held at once, all requests together (at least 8388608; one user at most half); a body that does not fit waits up to 2s, then 503 busy"},
		&cli.IntFlag{Name: "max-header-bytes", EnvVars: envVar("max-header-bytes"), DefaultText: "65536",
			Usage: "request headers larger than this are a JSON 431, 8192 to 1048576 `BYTES` (beyond twice this, at least 256 KiB, Go's HTTP server answers a plain-text 431)"},
		s("probe-interval", "how long /readyz keeps each dependency's answer before checking again (default 5s)"),
		s("sts-role-arn", "role to assume (mode sts)"),
		s("sts-session-policy", "IAM policy JSON narrowing each STS session (mode sts)"),
		s("sts-duration", "STS session length (default 1h)"),
		s("exchange-token-url", "RFC 8693 token exchange endpoint, to get a token the storage trusts (mode sts)"),
		s("exchange-client-id", "client id for the token exchange"),
		s("exchange-client-secret", "client secret for the token exchange (prefer SIGNER_EXCHANGE_CLIENT_SECRET)"),
		s("exchange-audience", "audience requested in the token exchange"),
		l("exchange-param", "extra form `NAME=VALUE` sent with the exchange (provider quirks, e.g. connector_id=self for Dex)"),
		&cli.BoolFlag{Name: "credentials-enabled", EnvVars: envVar("credentials-enabled"), Usage: "serve POST /credentials: temporary storage credentials for one folder, narrowed by an STS session policy (mode sts; default off)"},
		l("collection", "`ID=s3://bucket/folder/` a caller may name in POST /credentials instead of a prefix (mode sts; repeat)"),
		s("credentials-max-duration", "longest session POST /credentials hands out, 15m to 12h (default 1h; mode sts)"),
		s("api-keys-file", "JSON `FILE` keeping the DINAMIS API keys users create (hashed; mode static); unset: API keys off"),
		s("api-keys-max-lifetime", "an API key expires this long after its creation (default 2160h, 90 days)"),
		&cli.IntFlag{Name: "api-keys-max-per-user", EnvVars: envVar("api-keys-max-per-user"), DefaultText: "20", Usage: "live API keys a user may hold"},
		s("log-format", "json (default) or text"),
		s("log-level", "debug, info (default), warn or error"),
	}
}

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the signing service",
		Description: `Every setting can come from a flag, a SIGNER_<FLAG> environment variable
(SIGNER_ISSUER, SIGNER_AUDIENCE, SIGNER_S3_ENDPOINT, SIGNER_MODE, …) or the
YAML file given with --config. The configuration is checked at start; every
problem is listed, then the process exits with status 1.

Storage credentials for mode static come from the standard AWS chain
(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, …).`,
		Flags:  serveFlags(),
		Action: runServe,
	}
}

func newLogger(cfg *Config, c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(c.App.ErrWriter, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(c.App.ErrWriter, opts)), nil
}

func runServe(c *cli.Context) error {
	cfg, err := load(c)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg, c)
	if err != nil {
		return err
	}
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

// buildAPI assembles the service from the configuration.
func buildAPI(ctx context.Context, cfg *Config, log *slog.Logger) (*signer.Server, error) {
	httpClient := &http.Client{Timeout: 10 * time.Second}
	var issuers []auth.Issuer
	for _, is := range cfg.Issuers {
		issuers = append(issuers, auth.Issuer{URL: is})
	}
	leeway := time.Duration(cfg.ClockSkew)
	if leeway == 0 {
		leeway = -1 // none (auth's zero is its default)
	}
	verifier, err := auth.NewVerifier(auth.Options{Issuers: issuers, Audiences: cfg.Audiences, HTTPClient: httpClient, Leeway: leeway})
	if err != nil {
		return nil, err
	}
	storage := cfg.storage()
	sc := signer.Config{
		Mode: cfg.Mode, Storage: storage, Verifier: verifier,
		DefaultLifetime: time.Duration(cfg.DefaultDuration), MaxLifetime: time.Duration(cfg.MaxDuration), MinLifetime: time.Duration(cfg.MinDuration),
		BatchLimit: cfg.BatchLimit, CORSOrigins: cfg.CORSOrigins, RatePerSecond: cfg.RateLimit, RateBurst: cfg.RateBurst,
		MaxInflightBytes: cfg.MaxInflightBytes, MaxHeaderBytes: cfg.MaxHeaderBytes, ProbeInterval: time.Duration(cfg.ProbeInterval),
		TokenURL: cfg.TokenURL, Logger: log,
		StorageReady: func(ctx context.Context) error { return reachable(ctx, httpClient, cfg.S3.Endpoint) },
	}
	if sc.TokenURL == "" {
		first := cfg.Issuers[0]
		sc.DiscoverTokenURL = func(ctx context.Context) string { return verifier.TokenURL(ctx, first) }
		// Discovery at start only warms the cache: /openapi.json looks the
		// endpoint up on each request, so an IdP down now is found later.
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if verifier.TokenURL(dctx, first) == "" {
			log.Warn("the IdP token endpoint for /openapi.json cannot be discovered now; it is looked up again on each request (or set --token-url)", "issuer", first)
		}
		cancel()
	}
	switch cfg.Mode {
	case "static":
		if sc.Policy, err = policy.Load(cfg.Policy); err != nil {
			return nil, err
		}
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.S3.Region))
		if err != nil {
			return nil, fmt.Errorf("storage credentials: %w", err)
		}
		sc.Credentials = presign.NewStatic(awsCfg.Credentials)
		if k := cfg.APIKeys; k.File != "" {
			store, err := apikey.OpenFile(k.File, apikey.Options{MaxLifetime: time.Duration(k.MaxLifetime), MaxPerOwner: k.MaxPerUser})
			if err != nil {
				return nil, err
			}
			cfg.APIKeys.store, sc.APIKeys = store, store
			log.Info("API keys enabled", "file", store.Path(),
				"max_lifetime", cmp.Or(time.Duration(k.MaxLifetime), apikey.DefaultMaxLifetime).String(),
				"max_per_user", cmp.Or(k.MaxPerUser, apikey.DefaultMaxPerOwner))
		}
	case "sts":
		stsClient := sts.New(sts.Options{
			Region: cfg.S3.Region, BaseEndpoint: aws.String(cfg.S3.Endpoint), HTTPClient: httpClient,
			Credentials: aws.AnonymousCredentials{}, // AssumeRoleWithWebIdentity is authenticated by the token
		})
		so := presign.STSOptions{Client: stsClient, RoleARN: cfg.STS.RoleARN, SessionPolicy: cfg.STS.SessionPolicy, Duration: time.Duration(cfg.STS.Duration)}
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
			sc.Counters = map[string]signer.Counter{"signer_token_exchanges_total": ex.Calls}
		}
		creds := presign.NewSTS(so)
		if sc.Counters == nil {
			sc.Counters = map[string]signer.Counter{}
		}
		sc.Counters["signer_sts_calls_total"] = creds.Calls
		sc.Counters["signer_sts_cache_hits_total"] = creds.Hits
		sc.Counters["signer_credentials_issued_total"] = creds.Scoped
		sc.CredentialsEnabled = cfg.CredentialsEnabled
		sc.Collections = cfg.Collections
		sc.CredentialsMaxLifetime = time.Duration(cfg.CredentialsMaxDuration)
		sc.Credentials = creds
		sc.STSReady = creds.Probe
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
