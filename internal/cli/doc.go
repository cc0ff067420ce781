// Package cli defines the floe command line (cobra): serve, config check,
// passwd, audit verify, query, admin (a client of the admin API) and
// login (an OpenID Connect token for token logins, package oidclogin). Commands parse flags, find the configuration and call into
// the packages that do the work; they hold no logic of their own.
// config check and provision read the file as serve does
// (app.LoadOptions: the start-up checks included); query --config reads
// only the references of the database it runs on (config.OnlyDatabase).
// Every admin subcommand prints JSON on stdout with --json; errors go to
// stderr with exit status 1.
package cli
