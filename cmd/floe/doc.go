// Command floe is the Floe database gateway. See README.md, and
// internal/cli for the commands.
package main
