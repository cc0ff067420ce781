// Package config owns the gateway's configuration: typed structs matching
// the YAML file, ${env:} and ${file:} references, defaults, and validation
// whose errors name the file, line and key.
//
// Load reads a file into a yaml.Node tree, expands references in its
// scalars, checks every key against the struct tags (recording each key's
// line), decodes, applies defaults and validates. The result is immutable;
// a reload builds a new Config. Nothing here opens connections or starts
// goroutines, and nothing logs: resolved secrets stay inside the values.
package config
