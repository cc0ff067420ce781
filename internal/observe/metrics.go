package observe

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is every metric the gateway records.
type Metrics struct {
	reg *prometheus.Registry

	// ClientConns counts client connections by protocol and state
	// (handshake, idle, active, idle_in_transaction).
	ClientConns *prometheus.GaugeVec
	// ClientConnsTotal counts accepted connections by protocol.
	ClientConnsTotal *prometheus.CounterVec
	// AuthFailures counts failed authentications by protocol and reason.
	AuthFailures *prometheus.CounterVec
	// NetworkRefusals counts clients the network rules refused, by
	// protocol and stage (accept, login, connect, statement).
	NetworkRefusals *prometheus.CounterVec
	// Queries counts statements by database, user and outcome (ok, error, cancelled).
	Queries *prometheus.CounterVec
	// QueryDuration observes statement round trips by database.
	QueryDuration *prometheus.HistogramVec
	// Bytes counts bytes relayed by database and direction (client_to_server, server_to_client).
	Bytes *prometheus.CounterVec

	// PoolConns is the number of backend connections by database, backend and state (idle, in_use).
	PoolConns *prometheus.GaugeVec
	// PoolWaits counts acquisitions that had to wait, by database.
	PoolWaits *prometheus.CounterVec
	// PoolWaitSeconds observes time spent waiting for a backend connection.
	PoolWaitSeconds *prometheus.HistogramVec
	// PoolAcquireTimeouts counts acquisitions that gave up.
	PoolAcquireTimeouts *prometheus.CounterVec
	// PoolConnsClosed counts backend connections closed, by database and reason.
	PoolConnsClosed *prometheus.CounterVec
	// Pins counts clients pinned to a backend connection in transaction or
	// statement mode, by database and reason.
	Pins *prometheus.CounterVec
	// Reloads counts configuration reloads by outcome.
	Reloads *prometheus.CounterVec

	// PolicyDecisions counts statements checked, by decision and the rule
	// that decided (empty when allowed without findings).
	PolicyDecisions *prometheus.CounterVec
	// FirewallFindings counts firewall findings by rule and what was done.
	FirewallFindings *prometheus.CounterVec
	// AuditDropped counts audit records dropped on a full queue.
	AuditDropped prometheus.Counter
	// LimitsExceeded counts refusals by limit kind (limit.rate,
	// limit.concurrency, limit.connections, limit.login).
	LimitsExceeded *prometheus.CounterVec

	// CacheRequests counts statements by the result cache's verdict, by
	// database, result (hit, miss, bypass) and reason (why a bypass).
	CacheRequests *prometheus.CounterVec
	// CacheBytes and CacheEntries are what each database's cache holds in
	// memory.
	CacheBytes, CacheEntries *prometheus.GaugeVec

	// BackendUp is 1 for a server its health checks find up, by
	// database and backend.
	BackendUp *prometheus.GaugeVec
	// BackendLag is a replica's replication lag in seconds (-1 unknown).
	BackendLag *prometheus.GaugeVec
	// BackendChanges counts health state changes by database, backend,
	// new state (up, down) and role.
	BackendChanges *prometheus.CounterVec
	// BreakerOpen is 1 while a backend's circuit breaker refuses
	// connects (0.5 half-open), by database and backend.
	BreakerOpen *prometheus.GaugeVec
	// BreakerChanges counts breaker transitions by database, backend and
	// new state.
	BreakerChanges *prometheus.CounterVec
	// ConnectRetries counts backend connect attempts after a transient
	// failure, by database and backend.
	ConnectRetries *prometheus.CounterVec

	// StoreUp is 1 while the shared store answers; StoreVersion is the
	// version of its document in force.
	StoreUp      prometheus.Gauge
	StoreVersion prometheus.Gauge

	// SlowStatements counts statements over their database's slow
	// threshold (internal/insight), by database.
	SlowStatements *prometheus.CounterVec

	// Statements keeps per-fingerprint statement statistics (the admin
	// API's top queries).
	Statements *QueryStats
}

// NewMetrics creates the metrics and registers them on a fresh registry,
// together with the Go runtime and process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{reg: reg, Statements: NewQueryStats(0)}
	m.ClientConns = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "floe_client_connections", Help: "Client connections by protocol and state.",
	}, []string{"protocol", "state"})
	m.ClientConnsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_client_connections_total", Help: "Client connections accepted.",
	}, []string{"protocol"})
	m.AuthFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_auth_failures_total", Help: "Failed client authentications.",
	}, []string{"protocol", "reason"})
	m.NetworkRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_network_refusals_total", Help: "Clients refused by the network rules, by protocol and stage.",
	}, []string{"protocol", "stage"})
	m.Queries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_queries_total", Help: "Statements relayed or executed, by outcome.",
	}, []string{"database", "user", "outcome"})
	m.QueryDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "floe_query_duration_seconds", Help: "Statement round-trip time through the gateway.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"database"})
	m.Bytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_bytes_total", Help: "Protocol bytes relayed.",
	}, []string{"database", "direction"})
	m.PoolConns = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "floe_pool_connections", Help: "Backend connections by state.",
	}, []string{"database", "backend", "state"})
	m.PoolWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_pool_waits_total", Help: "Acquisitions that waited for a backend connection.",
	}, []string{"database"})
	m.PoolWaitSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "floe_pool_wait_seconds", Help: "Time spent waiting for a backend connection.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
	}, []string{"database"})
	m.PoolAcquireTimeouts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_pool_acquire_timeouts_total", Help: "Acquisitions that timed out.",
	}, []string{"database"})
	m.PoolConnsClosed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_pool_connections_closed_total", Help: "Backend connections closed, by reason.",
	}, []string{"database", "reason"})
	m.Pins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_pool_pins_total", Help: "Clients pinned to one backend connection, by reason.",
	}, []string{"database", "reason"})
	m.Reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_config_reloads_total", Help: "Configuration reloads by outcome.",
	}, []string{"outcome"})
	m.PolicyDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_policy_decisions_total", Help: "SQL texts checked by the policy, by decision and deciding rule.",
	}, []string{"database", "decision", "rule"})
	m.FirewallFindings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_firewall_findings_total", Help: "SQL firewall findings by rule and action taken (blocked, logged).",
	}, []string{"database", "rule", "action"})
	m.AuditDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "floe_audit_dropped_total", Help: "Audit records dropped because the writer's queue was full.",
	})
	m.LimitsExceeded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_limits_exceeded_total", Help: "Connections, statements and logins refused by limits, by kind.",
	}, []string{"limit"})
	m.CacheRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_cache_requests_total", Help: "Statements by result-cache verdict (hit, miss, bypass) and bypass reason.",
	}, []string{"database", "result", "reason"})
	f(m.CacheRequests)
	m.CacheBytes = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "floe_cache_bytes", Help: "Bytes of results the result cache holds in memory.",
	}, []string{"database"})
	f(m.CacheBytes)
	m.CacheEntries = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "floe_cache_entries", Help: "Results the result cache holds in memory.",
	}, []string{"database"})
	f(m.CacheEntries)
	m.BackendUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "floe_backend_up", Help: "1 when health checks find the backend up, by database and backend.",
	}, []string{"database", "backend"})
	m.BackendLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "floe_backend_replication_lag_seconds", Help: "Replication lag of a replica as its health check saw it (-1: unknown).",
	}, []string{"database", "backend"})
	m.BackendChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_backend_state_changes_total", Help: "Health state changes of backends, by database, backend, new state and role.",
	}, []string{"database", "backend", "state", "role"})
	m.BreakerOpen = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "floe_backend_breaker_open", Help: "1 while a backend's circuit breaker refuses connects, 0.5 while half-open, 0 closed.",
	}, []string{"database", "backend"})
	m.BreakerChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_backend_breaker_changes_total", Help: "Circuit breaker transitions of backends, by database, backend and new state.",
	}, []string{"database", "backend", "state"})
	m.ConnectRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_backend_connect_retries_total", Help: "Backend connect attempts made after a transient failure.",
	}, []string{"database", "backend"})
	m.SlowStatements = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_slow_statements_total", Help: "Statements that took their database's slow threshold or longer.",
	}, []string{"database"})
	m.StoreUp = prometheus.NewGauge(prometheus.GaugeOpts{Name: "floe_store_up", Help: "1 while the shared store answers (0 also when none is configured)."})
	m.StoreVersion = prometheus.NewGauge(prometheus.GaugeOpts{Name: "floe_store_version", Help: "Version of the shared store's document in force."})
	for _, c := range []prometheus.Collector{
		m.StoreUp, m.StoreVersion, m.SlowStatements,
		m.BreakerOpen, m.BreakerChanges, m.ConnectRetries,
		m.PolicyDecisions, m.FirewallFindings, m.AuditDropped, m.LimitsExceeded,
		m.BackendUp, m.BackendLag, m.BackendChanges,
		m.ClientConns, m.ClientConnsTotal, m.AuthFailures, m.NetworkRefusals, m.Queries, m.QueryDuration, m.Bytes,
		m.PoolConns, m.PoolWaits, m.PoolWaitSeconds, m.PoolAcquireTimeouts, m.PoolConnsClosed, m.Pins, m.Reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		f(c)
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry exposes the registry for tests and further collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// BreakerChanged returns an observer of one backend's circuit breaker
// that keeps floe_backend_breaker_open and its change counter.
func (m *Metrics) BreakerChanged(database, backend string) func(name, from, to string) {
	g := m.BreakerOpen.WithLabelValues(database, backend)
	g.Set(0)
	return func(_, _, to string) {
		switch to {
		case "open":
			g.Set(1)
		case "half-open":
			g.Set(0.5)
		default:
			g.Set(0)
		}
		m.BreakerChanges.WithLabelValues(database, backend, to).Inc()
	}
}
