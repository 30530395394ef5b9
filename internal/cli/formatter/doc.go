// Package formatter renders lists (ps, images, history) and --format
// templates exactly as the docker CLI does: the same Go template functions
// (json, join, lower, upper, split, title, truncate, pad), the `table`
// prefix with a header row and tab-aligned columns, the `json` shortcut,
// docker's ID truncation and ellipsis.
//
// It is hand-written after docker/cli's cli/command/formatter and templates
// packages (which cannot be imported without pulling the docker CLI in), and
// uses text/tabwriter, which differs from docker's fork only for East Asian
// wide characters.
//
// It imports the api types, client (for image reference parsing) and
// third-party libraries; internal/cli uses it.
package formatter
