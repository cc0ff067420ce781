// Package observe owns the gateway's Prometheus metrics. A Metrics value is
// created once per process with its own registry (there is no global
// registry), passed to every component that records something, and served
// by the admin listener on /metrics. Components hold the *Metrics they were
// given; a reload keeps the same Metrics so counters never reset.
package observe
