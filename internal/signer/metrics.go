package signer

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Counter is a monotonic count read at scrape time (STS calls, cache hits,
// token exchanges), implemented by the credential sources.
type Counter func() int64

// Names of the metrics on /metrics: the API's own, then the counters the
// credential sources supply through Config.Counters (mode sts).
//
//nolint:gosec // G101: metric names ("…_credentials_issued_total", "…_token_exchanges_total"), not credentials
const (
	MetricRequests       = "signer_requests_total"
	MetricSigningSeconds = "signer_signing_seconds"
	MetricURLsSigned     = "signer_urls_signed_total"
	MetricBodyBytes      = "signer_body_bytes_in_flight"
	MetricBusy           = "signer_busy_total"

	MetricTokenExchanges    = "signer_token_exchanges_total"
	MetricSTSCalls          = "signer_sts_calls_total"
	MetricSTSCacheHits      = "signer_sts_cache_hits_total"
	MetricCredentialsIssued = "signer_credentials_issued_total"
)

// counterHelp is the help text of each counter of Config.Counters.
//
//nolint:gosec // G101: help texts, not credentials
var counterHelp = map[string]string{
	MetricTokenExchanges:    "RFC 8693 token exchanges requested before STS calls (mode sts).",
	MetricSTSCalls:          "AssumeRoleWithWebIdentity calls made, POST /credentials sessions included (mode sts).",
	MetricSTSCacheHits:      "Signing requests served with cached STS credentials (mode sts).",
	MetricCredentialsIssued: "Folder credentials issued by POST /credentials (mode sts).",
}

// metrics are the service's Prometheus metrics, on a registry of their own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	signing  prometheus.Histogram
	signed   prometheus.Counter
}

func newMetrics(counters map[string]Counter, budget *bodyBudget) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRequests, Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		signing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: MetricSigningSeconds, Help: "Time to answer a signing request (authentication, credentials, signing).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12),
		}),
		signed: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricURLsSigned, Help: "Presigned URLs returned."}),
	}
	m.reg.MustRegister(m.requests, m.signing, m.signed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: MetricBodyBytes, Help: "Request-body bytes admitted and not yet released (limit: --max-inflight-bytes)."},
			func() float64 { used, _, _ := budget.stats(); return float64(used) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: MetricBusy, Help: "Requests refused with 503 busy: their body did not fit in --max-inflight-bytes in time."},
			func() float64 { _, _, busy := budget.stats(); return float64(busy) }),
	)
	for name, f := range counters {
		help := counterHelp[name]
		if help == "" {
			help = "See the signer's documentation."
		}
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f()) }))
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// statusWriter records the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe counts a request of route and, for signing routes, its latency.
func (m *metrics) observe(route string, signing bool, w *statusWriter, start time.Time) {
	code := w.code
	if code == 0 {
		code = http.StatusOK
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	if signing {
		m.signing.Observe(time.Since(start).Seconds())
	}
}
