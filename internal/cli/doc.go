// Package cli defines the floe command line (cobra): serve, config check,
// passwd, audit verify, query and admin (a client of the admin API). Commands parse flags, find the configuration and call into
// the packages that do the work; they hold no logic of their own.
package cli
