// Package sqltext holds dialect-neutral helpers on SQL text that the
// gateway needs before (or without) a full parse: masking literals for
// logs, and classifying statements that change session state for pools.
//
// Functions here are pure and safe for concurrent use.
package sqltext
