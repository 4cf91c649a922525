// Package tools pins the command-line tools peerlab's build runs
// (gotestsum for the matrix's JUnit reports, actionlint for the CI
// workflow) in their own module, so they never enter peerlab's own
// dependency graph. Run them with `go tool -modfile=tools/go.mod NAME`.
package tools
